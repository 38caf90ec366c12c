module ringo-tests

go 1.23
