package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/silica-go/silica/store"
)

func infoCmd(args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("info", flag.ContinueOnError)
	dir := fl.String("store", "", "store directory")
	layout := openFlags(fl)
	if err := parse(fl, args, "store"); err != nil {
		return err
	}
	m, err := store.ReadManifest(*dir)
	if err != nil {
		return err
	}
	s, err := store.Open(*dir, layout())
	if err != nil {
		return err
	}
	defer s.Close()
	st := s.Stats()
	w := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintf(w, "store\t%s\n", *dir)
	fmt.Fprintf(w, "format\t%s version %d\n", m.Format, m.Version)
	fmt.Fprintf(w, "dim\t%d\n", m.Dim)
	fmt.Fprintf(w, "dtype\t%s\n", m.DType)
	fmt.Fprintf(w, "metric\t%s\n", m.Metric)
	fmt.Fprintf(w, "count\t%d\n", m.Count)
	fmt.Fprintf(w, "next id\t%d\n", m.NextID)
	fmt.Fprintf(w, "segments\t%d\n", len(m.Segments))
	names := make([]string, 0, len(m.Checksums))
	for name := range m.Checksums {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := m.Checksums[name]
		fmt.Fprintf(w, "file %s\t%d bytes, crc32c of %d chunk(s) of %d bytes: %v\n", name, c.Bytes, len(c.CRC32C), c.ChunkBytes, c.CRC32C)
	}
	fmt.Fprintf(w, "backend\t%s (%s)\n", st.Backend, st.Device)
	if st.Shards > 1 {
		fmt.Fprintf(w, "shards\t%d\n", st.Shards)
	}
	fmt.Fprintf(w, "vectors\t%d\n", st.Count)
	fmt.Fprintf(w, "reclaimable rows\t%d\n", st.Reclaimable)
	fmt.Fprintf(w, "bytes on device\t%d\n", st.DeviceBytes)
	fmt.Fprintf(w, "bytes on host\t%d\n", st.HostBytes)
	fmt.Fprintf(w, "bytes mapped\t%d\n", st.MappedBytes)
	return w.Flush()
}
