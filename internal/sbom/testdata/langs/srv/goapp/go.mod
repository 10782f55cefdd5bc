module example.org/cradle/goapp

go 1.22

toolchain go1.22.4

require (
	github.com/example/alpha v1.4.2
	golang.org/x/text v0.3.7 // indirect
)

replace github.com/example/alpha => github.com/fork/alpha v1.4.3
