module github.com/zdmctl/zdmctl

go 1.26.0
