package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/silica-go/silica/cpu"
	"github.com/silica-go/silica/engine"
)

// multiDriver is an adapter with several devices, as torch has: its
// default device is "cpu"; "cuda" is a second device; "mps" is absent on
// this machine (ErrUnavailable); "gpu" it accepts but does not list; any
// other name is not a device of it.
type multiDriver struct{}

func (multiDriver) Devices() []string { return []string{"cpu", "cuda", "mps"} }

type deviceBackend struct {
	*cpu.Backend
	device string
}

func (d deviceBackend) Device() engine.DeviceInfo {
	info := d.Backend.Device()
	info.Backend, info.Device = "fakemulti", d.device
	return info
}

func (multiDriver) Open(device string) (engine.Backend, error) {
	switch device {
	case "", "cpu":
		return deviceBackend{newCPU(), "cpu"}, nil
	case "cuda":
		return deviceBackend{newCPU(), "cuda:0"}, nil
	case "mps":
		return nil, fmt.Errorf("%w: fakemulti: MPS needs macOS", engine.ErrUnavailable)
	case "gpu":
		return deviceBackend{newCPU(), "gpu"}, nil
	}
	return nil, fmt.Errorf("fakemulti: unknown device %q", device)
}

// gpuDriver has the GPUs it lists, as cuda has: "0" the default, then
// "1" and so on; a listed GPU that fails to open for another reason than
// its absence is "broken".
type gpuDriver []string

func (g gpuDriver) Devices() []string { return g }

func (g gpuDriver) Open(device string) (engine.Backend, error) {
	if device == "" {
		device = "0"
	}
	if device == "broken" {
		return nil, fmt.Errorf("fakegpu: device broken: context creation failed")
	}
	return deviceBackend{newCPU(), "gpu:" + device}, nil
}

// absentDriver is a backend whose library is missing.
type absentDriver struct{}

func (absentDriver) Open(string) (engine.Backend, error) {
	return nil, fmt.Errorf("%w: libfake.so not found (install fake)", engine.ErrUnavailable)
}

func init() {
	engine.Register("fakemulti", multiDriver{})
	engine.Register("fakeabsent", absentDriver{})
	engine.Register("fakeonegpu", gpuDriver{"0"})
	engine.Register("faketwogpu", gpuDriver{"0", "1", "broken"})
}

// TestOpenBackends: every device of every registered driver opens once,
// under a name that says which; an absent device or library is reported
// with its reason; a name that is no device of a driver is not.
func TestOpenBackends(t *testing.T) {
	open, missing := openBackends(nil)
	defer closeBackends(open)
	var names []string
	for _, b := range open {
		names = append(names, b.name)
	}
	got := strings.Join(names, ",")
	for _, want := range []string{"cpu", "fakemulti:cpu", "fakemulti:cuda", "fakeonegpu", "faketwogpu:0", "faketwogpu:1"} {
		if !strings.Contains(","+got+",", ","+want+",") {
			t.Errorf("opened %s: want %s among them", got, want)
		}
	}
	if strings.Contains(got, "cpu:cpu") || strings.Count(got, "fakemulti") != 2 || strings.Count(got, "fakeonegpu") != 1 || strings.Count(got, "faketwogpu") != 2 {
		t.Errorf("opened %s: a device twice, or under a name that repeats the driver's", got)
	}
	if strings.Contains(got, "fakemulti:gpu") {
		t.Errorf("opened %s: a device the driver does not list", got)
	}
	reasons := map[string]string{}
	for _, m := range missing {
		reasons[m.Name] = m.Reason
	}
	if !strings.Contains(reasons["fakemulti:mps"], "MPS needs macOS") {
		t.Errorf("fakemulti:mps reason %q", reasons["fakemulti:mps"])
	}
	if !strings.Contains(reasons["fakeabsent"], "install fake") {
		t.Errorf("fakeabsent reason %q", reasons["fakeabsent"])
	}
	if !strings.Contains(reasons["faketwogpu:broken"], "context creation failed") {
		t.Errorf("faketwogpu:broken reason %q: a listed device that fails is reported", reasons["faketwogpu:broken"])
	}
	for name := range reasons {
		if strings.HasPrefix(name, "cpu:") || name == "fakemulti:gpu" || strings.HasPrefix(name, "fakeabsent:") {
			t.Errorf("%s reported unavailable: it is no device of its driver, or repeats the driver's reason", name)
		}
	}

	// Named backends: exactly those, an unknown name with the engine's hint.
	open2, missing2 := openBackends([]string{"fakemulti:cuda", "nosuch"})
	defer closeBackends(open2)
	if len(open2) != 1 || open2[0].info.Device != "cuda:0" {
		t.Errorf("-backend fakemulti:cuda opened %v", open2)
	}
	if len(missing2) != 1 || !strings.Contains(missing2[0].Reason, `unknown backend "nosuch"`) {
		t.Errorf("-backend nosuch: %v", missing2)
	}
}
