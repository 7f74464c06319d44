package main

import (
	"flag"
	"strings"

	"github.com/silica-go/silica/store"
)

// shardFlags adds --devices and --shards to fl, for the commands that
// open a store; after parsing, the function it returns gives the
// store.Options they ask for (see "Sharding" in package store's doc).
func shardFlags(fl *flag.FlagSet) func() store.Options {
	devices := fl.String("devices", "", "spread the store over these devices of the backend, comma-separated (0,1 for cuda), or all (default: one device)")
	shards := fl.Int("shards", 0, "shards per device (default 1 with --devices; without, more than 1 shards the one device)")
	return func() store.Options {
		var o store.Options
		for _, d := range strings.Split(*devices, ",") {
			if d = strings.TrimSpace(d); d != "" {
				o.Devices = append(o.Devices, d)
			}
		}
		o.Shards = *shards
		return o
	}
}
