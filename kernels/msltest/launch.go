package msltest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"time"
)

// Order is the order in which the harness resumes the runnable threads of
// a threadgroup between synchronisation points.
type Order uint32

const (
	Forward  Order = iota // thread 0 first
	Reverse               // the last thread first
	Shuffled              // a random permutation each round (Options.Seed)
)

func (o Order) String() string {
	switch o {
	case Forward:
		return "forward"
	case Reverse:
		return "reverse"
	case Shuffled:
		return "shuffled"
	}
	return fmt.Sprintf("order(%d)", uint32(o))
}

// Options tune one launch; the zero value is valid.
type Options struct {
	Order   Order
	Seed    uint64        // for Shuffled
	Workers int           // OS threads for threadgroups; 0: Workers
	StackKB int           // stack of each GPU thread in KiB; 0: 64
	Timeout time.Duration // 0: two minutes
}

// Buffer binds Data at [[buffer(Index)]]. After a successful launch Data
// holds what the kernel left in the buffer (it is updated in place).
type Buffer struct {
	Index int
	Data  []byte
}

// Launch describes one dispatch: Groups threadgroups of Threads threads
// (dispatchThreadgroups), or, with Grid set, Grid threads in all in
// threadgroups of Threads, the edge groups smaller (dispatchThreads,
// non-uniform threadgroups; Groups is then computed); the buffers; and
// the threadgroup memory lengths by [[threadgroup(i)]] index.
type Launch struct {
	Kernel            string
	Groups            [3]int
	Threads           [3]int
	Grid              [3]int
	Buffers           []Buffer
	ThreadgroupMemory map[int]int
}

// LaunchError is a launch that failed while the kernel ran: a memory
// fault past a buffer's end, a barrier not reached by every thread,
// divergent SIMD-group functions, a timeout.
type LaunchError struct {
	Kernel string
	Msg    string
}

func (e *LaunchError) Error() string { return "msltest: launch of " + e.Kernel + " failed: " + e.Msg }

// Run launches a kernel of the program and waits for it. Every buffer and
// threadgroup index the kernel declares must be bound; a binding the
// kernel does not declare is an error too (it is probably a mistake).
func (p *Program) Run(l Launch, opt Options) error {
	sig, ok := p.Kernels[l.Kernel]
	if !ok {
		return fmt.Errorf("msltest: %s has no kernel %q (it has %s)", p.Name, l.Kernel, strings.Join(p.KernelNames(), ", "))
	}
	if l.Grid != [3]int{} {
		for i := range 3 {
			if l.Grid[i] < 1 || l.Threads[i] < 1 {
				return fmt.Errorf("msltest: %s: grid %v and threads %v must be at least 1 in each dimension", l.Kernel, l.Grid, l.Threads)
			}
			l.Groups[i] = (l.Grid[i] + l.Threads[i] - 1) / l.Threads[i]
		}
	}
	threads := 1
	for i := range 3 {
		if l.Groups[i] < 1 || l.Threads[i] < 1 {
			return fmt.Errorf("msltest: %s: groups %v and threads %v must be at least 1 in each dimension", l.Kernel, l.Groups, l.Threads)
		}
		threads *= l.Threads[i]
	}
	if threads > 1024 {
		return fmt.Errorf("msltest: %s: %d threads per threadgroup, more than Metal's 1024", l.Kernel, threads)
	}
	bound := map[int]bool{}
	for _, b := range l.Buffers {
		if bound[b.Index] {
			return fmt.Errorf("msltest: %s: [[buffer(%d)]] bound twice", l.Kernel, b.Index)
		}
		bound[b.Index] = true
	}
	declared, tg := map[int]bool{}, map[int]bool{}
	for _, prm := range sig.Params {
		switch prm.Attr {
		case "buffer":
			declared[prm.Index] = true
			if !bound[prm.Index] {
				return fmt.Errorf("msltest: %s: parameter %s [[buffer(%d)]] is not bound", l.Kernel, prm.Name, prm.Index)
			}
		case "threadgroup":
			tg[prm.Index] = true
			if l.ThreadgroupMemory[prm.Index] <= 0 {
				return fmt.Errorf("msltest: %s: parameter %s [[threadgroup(%d)]] has no threadgroup memory length", l.Kernel, prm.Name, prm.Index)
			}
		}
	}
	for i := range bound {
		if !declared[i] {
			return fmt.Errorf("msltest: %s: [[buffer(%d)]] is bound but the kernel has no such parameter", l.Kernel, i)
		}
	}
	total := 0
	for i, n := range l.ThreadgroupMemory {
		if !tg[i] {
			return fmt.Errorf("msltest: %s: threadgroup memory %d set but the kernel has no [[threadgroup(%d)]] parameter", l.Kernel, i, i)
		}
		total += n
	}
	if total > 32768 {
		return fmt.Errorf("msltest: %s: %d bytes of threadgroup memory, more than Metal's 32768", l.Kernel, total)
	}

	var req bytes.Buffer
	w := func(v any) { _ = binary.Write(&req, binary.LittleEndian, v) }
	req.WriteString("SMSL1")
	w(uint32(len(l.Kernel)))
	req.WriteString(l.Kernel)
	for _, g := range l.Groups {
		w(uint32(g))
	}
	for _, t := range l.Threads {
		w(uint32(t))
	}
	for _, g := range l.Grid {
		w(uint32(g))
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = Workers
	}
	stack := opt.StackKB
	if stack <= 0 {
		stack = 64
	}
	w(uint32(opt.Order))
	w(opt.Seed)
	w(uint32(workers))
	w(uint32(stack))
	w(uint32(len(l.Buffers)))
	for _, b := range l.Buffers {
		w(uint32(b.Index))
		w(uint64(len(b.Data)))
		req.Write(b.Data)
	}
	idx := make([]int, 0, len(l.ThreadgroupMemory))
	for i := range l.ThreadgroupMemory {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	w(uint32(len(idx)))
	for _, i := range idx {
		w(uint32(i))
		w(uint32(l.ThreadgroupMemory[i]))
	}

	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.exe)
	cmd.Stdin = &req
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return &LaunchError{l.Kernel, fmt.Sprintf("timed out after %v (an endless loop, or a launch too large for the CPU)", timeout)}
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		var ee *exec.ExitError
		if msg == "" && errors.As(err, &ee) {
			msg = ee.String()
		}
		return &LaunchError{l.Kernel, msg}
	}
	out := stdout.Bytes()
	if !bytes.HasPrefix(out, []byte("SMSLOK")) {
		return &LaunchError{l.Kernel, "malformed response from the harness program"}
	}
	out = out[6:]
	for _, b := range l.Buffers {
		if len(out) < 8 || binary.LittleEndian.Uint64(out) != uint64(len(b.Data)) {
			return &LaunchError{l.Kernel, "truncated response from the harness program"}
		}
		copy(b.Data, out[8:8+len(b.Data)])
		out = out[8+len(b.Data):]
	}
	return nil
}
