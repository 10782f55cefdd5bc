package casestore
