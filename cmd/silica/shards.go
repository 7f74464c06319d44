package main

import (
	"flag"
	"strings"

	"github.com/silica-go/silica/store"
)

// openFlags adds --devices, --shards and --skip-checksums to fl, for the
// commands that open a store; after parsing, the function it returns
// gives the store.Options they ask for (see "Sharding" in package store's
// doc, and Options.SkipChecksums).
func openFlags(fl *flag.FlagSet) func() store.Options {
	devices := fl.String("devices", "", "spread the store over these devices of the backend, comma-separated (0,1 for cuda), or all (default: one device)")
	shards := fl.Int("shards", 0, "shards per device (default 1 with --devices; without, more than 1 shards the one device)")
	skip := fl.Bool("skip-checksums", false, "open without reading every byte for its checksum (sizes, headers, the manifest and the ids are still checked)")
	return func() store.Options {
		o := store.Options{SkipChecksums: *skip}
		for _, d := range strings.Split(*devices, ",") {
			if d = strings.TrimSpace(d); d != "" {
				o.Devices = append(o.Devices, d)
			}
		}
		o.Shards = *shards
		return o
	}
}
