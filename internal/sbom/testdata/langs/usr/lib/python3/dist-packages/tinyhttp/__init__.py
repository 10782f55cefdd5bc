"""tiny http"""
