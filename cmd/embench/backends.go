package main

import (
	"fmt"

	"github.com/silica-go/silica/engine"
)

// openBackend is an engine that will be measured.
type openBackend struct {
	name string
	e    *engine.Engine
	info engine.DeviceInfo
}

// openBackends opens the engine backends to measure: those named by specs,
// or (specs nil) every device of every registered driver that opens, once
// each. It returns why each of the others is unavailable.
func openBackends(specs []string) (open []*openBackend, missing []Missing) {
	if specs != nil {
		for _, s := range specs {
			e, err := engine.Open(s)
			if err != nil {
				missing = append(missing, Missing{s, err.Error()})
				continue
			}
			open = append(open, &openBackend{name: s, e: e, info: e.Device()})
		}
		return open, missing
	}
	for _, d := range engine.Drivers() {
		o, m := openDriver(d)
		open = append(open, o...)
		missing = append(missing, m...)
	}
	return open, missing
}

// openDriver opens every device of driver d: its default, then each
// device it lists (engine.Devices) that opens to a device not seen yet, so
// that an adapter with several devices (torch:cpu, torch:cuda, torch:mps;
// mlx:cpu, mlx:gpu) shows each; a listed device that is absent here is
// reported with its reason. The name kept for a device is the driver's own
// when the default opened it and the driver lists one device at most
// ("cpu", "cuda" on a machine of one GPU), else "driver:device"
// ("torch:cpu", "cuda:0" beside "cuda:1").
func openDriver(d string) (open []*openBackend, missing []Missing) {
	devices, _ := engine.Devices(d)
	seen := map[string]*openBackend{}
	var defaultErr error
	var unavailable []Missing
	try := func(spec string) {
		e, err := engine.Open(spec)
		if err != nil {
			if spec == d {
				defaultErr = err
			} else { // a device the driver lists: absent here (ErrUnavailable), or broken
				unavailable = append(unavailable, Missing{spec, err.Error()})
			}
			return
		}
		info := e.Device()
		key := info.Backend + "\x00" + info.Device
		if prev, dup := seen[key]; dup {
			// The default and a listed device are one device: keep the
			// listed name where the driver has several.
			if prev.name == d && len(devices) > 1 {
				prev.name = spec
			}
			e.Close()
			return
		}
		b := &openBackend{name: spec, e: e, info: info}
		seen[key] = b
		open = append(open, b)
	}
	try(d)
	for _, dev := range devices {
		try(d + ":" + dev)
	}
	if len(open) == 0 {
		if defaultErr == nil {
			defaultErr = fmt.Errorf("no device opened")
		}
		return nil, []Missing{{d, defaultErr.Error()}}
	}
	return open, unavailable
}

func closeBackends(bs []*openBackend) {
	for _, b := range bs {
		b.e.Close()
	}
}

func backendInfo(b *openBackend) BackendInfo {
	return BackendInfo{
		Name: b.name, Backend: b.info.Backend, Device: b.info.Device, DeviceName: b.info.Name,
		Version: b.info.Version, MemoryBytes: b.info.Memory, Unified: b.info.Unified,
	}
}
