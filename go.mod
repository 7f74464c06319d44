module github.com/silica-go/silica

go 1.26

require github.com/ebitengine/purego v0.11.3

require github.com/progrium/darwinkit v0.5.0
