# Go modules: fetch once, so that later steps and tests run offline.
go mod download
