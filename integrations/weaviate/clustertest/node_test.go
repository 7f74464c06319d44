package clustertest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/silica-go/silica/internal/testenv"
)

// binary returns the weaviate-silica binary's path, or skips the test (fails
// it under SILICA_CI=1) when there is none.
func binary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("SILICA_WEAVIATE_BIN")
	if bin == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache")
		}
		bin = filepath.Join(cache, "silica-weaviate", "weaviate-silica")
	}
	if _, err := os.Stat(bin); err != nil {
		testenv.Need(t, "weaviate-silica", fmt.Errorf("no binary at %s (run integrations/weaviate/build.sh, or set SILICA_WEAVIATE_BIN)", bin))
	}
	return bin
}

// ports of one node, all on 127.0.0.1.
type ports struct{ http, grpc, gossip, data, raft, raftRPC int }

// portsOutsideEphemeral returns [lo, hi), the ports freePairs draws from:
// from 10000 up to the start of the ephemeral range
// (/proc/sys/net/ipv4/ip_local_port_range; 32768 where it cannot be read
// or leaves too little room below).
func portsOutsideEphemeral() (lo, hi int) {
	lo, hi = 10000, 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if start, err := strconv.Atoi(f[0]); err == nil && start > lo+2000 {
				hi = start
			}
		}
	}
	return lo, hi
}

// freePairs returns n pairs of ports p, p+1, each free for TCP and UDP on
// 127.0.0.1, holding them until all are chosen so that none is returned
// twice. They are drawn below the kernel's ephemeral range: a port of
// that range, free when chosen, may be taken as the local port of some
// outgoing connection while its node is down for a restart (a CI run saw
// a restarted node fail to bind its gRPC port so). Pairs, because a cluster in localhost mode finds a node's Raft RPC
// port at its Raft port + 1 (Weaviate's cluster/resolver), and the cluster
// data port defaults to the gossip port + 1.
func freePairs(t *testing.T, n int) [][2]int {
	t.Helper()
	var out [][2]int
	var hold []io.Closer
	defer func() {
		for _, c := range hold {
			c.Close()
		}
	}()
	grab := func(p int) bool {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return false
		}
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			l.Close()
			return false
		}
		hold = append(hold, l, u)
		return true
	}
	lo, hi := portsOutsideEphemeral()
	for tries := 0; len(out) < n; tries++ {
		if tries > 1000 {
			t.Fatalf("found only %d pairs of free ports on 127.0.0.1", len(out))
		}
		p := lo + rand.IntN(hi-lo)
		if p+1 > 65535 || !grab(p) {
			continue
		}
		if !grab(p + 1) {
			continue
		}
		out = append(out, [2]int{p, p + 1})
	}
	return out
}

// startTimeout bounds the start of the cluster (about 25 s on a 2-core
// machine).
const startTimeout = 3 * time.Minute

// node is one weaviate-silica process.
type node struct {
	name string
	dir  string
	p    ports
	env  []string
	bin  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	log  *os.File
}

// cluster is nodes that know each other.
type cluster struct {
	t     *testing.T
	nodes []*node
}

// newCluster prepares (does not start) size nodes in dirs under base.
func newCluster(t *testing.T, bin, base string, size int) *cluster {
	ps := freePairs(t, 3*size)
	c := &cluster{t: t}
	for i := range size {
		q := ps[3*i:]
		c.nodes = append(c.nodes, &node{
			name: fmt.Sprintf("node%d", i),
			dir:  filepath.Join(base, fmt.Sprintf("node%d", i)),
			p: ports{http: q[0][0], grpc: q[0][1], gossip: q[1][0], data: q[1][1],
				raft: q[2][0], raftRPC: q[2][1]},
			bin: bin,
		})
	}
	var raftJoin []string
	for _, n := range c.nodes {
		raftJoin = append(raftJoin, fmt.Sprintf("%s:%d", n.name, n.p.raft))
	}
	for _, n := range c.nodes {
		var join []string
		for _, o := range c.nodes {
			if o != n {
				join = append(join, fmt.Sprintf("127.0.0.1:%d", o.p.gossip))
			}
		}
		n.env = []string{
			"PATH=" + os.Getenv("PATH"),
			"HOME=" + os.Getenv("HOME"),
			"AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true",
			"PERSISTENCE_DATA_PATH=" + n.dir,
			"DEFAULT_VECTORIZER_MODULE=none",
			"ENABLE_MODULES=backup-filesystem",
			"BACKUP_FILESYSTEM_PATH=" + filepath.Join(base, "backups"), // one directory for all: shared storage
			"DISABLE_TELEMETRY=true",
			"GO_PROFILING_DISABLE=true",
			"PROMETHEUS_MONITORING_ENABLED=false",
			"QUERY_DEFAULTS_LIMIT=10000",
			"LOG_LEVEL=info",
			"SILICA_BACKEND=" + nodeBackend(),
			"SILICA_LISTEN_HOST=127.0.0.1",
			"CLUSTER_HOSTNAME=" + n.name,
			"CLUSTER_IN_LOCALHOST=true",
			"CLUSTER_BIND_ADDR=127.0.0.1",
			"CLUSTER_ADVERTISE_ADDR=127.0.0.1",
			"CLUSTER_JOIN=" + strings.Join(join, ","),
			fmt.Sprintf("CLUSTER_GOSSIP_BIND_PORT=%d", n.p.gossip),
			fmt.Sprintf("CLUSTER_DATA_BIND_PORT=%d", n.p.data),
			fmt.Sprintf("GRPC_PORT=%d", n.p.grpc),
			fmt.Sprintf("RAFT_PORT=%d", n.p.raft),
			fmt.Sprintf("RAFT_INTERNAL_RPC_PORT=%d", n.p.raftRPC),
			"RAFT_JOIN=" + strings.Join(raftJoin, ","),
			fmt.Sprintf("RAFT_BOOTSTRAP_EXPECT=%d", size),
		}
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			n.kill()
		}
	})
	return c
}

// startCluster starts a cluster of size nodes, with env set in each node's
// environment, for a test that must end within limit: the context it
// returns ends then.
func startCluster(t *testing.T, size int, limit time.Duration, env ...string) (context.Context, *cluster) {
	t.Helper()
	bin := binary(t)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	c := newCluster(t, bin, t.TempDir(), size)
	c.setEnv(env...)
	c.startAll(ctx)
	return ctx, c
}

// setEnv sets variables ("NAME=value") of every node's environment,
// replacing those of the same name, before the nodes start.
func (c *cluster) setEnv(kv ...string) {
	for _, n := range c.nodes {
		for _, e := range kv {
			name, _, _ := strings.Cut(e, "=")
			n.env = slices.DeleteFunc(n.env, func(x string) bool { return strings.HasPrefix(x, name+"=") })
			n.env = append(n.env, e)
		}
	}
}

// start starts the node's process, its output appended to dir/log.
func (n *node) start(t *testing.T) {
	t.Helper()
	if err := os.MkdirAll(n.dir, 0o755); err != nil {
		t.Fatalf("%s: %v", n.name, err)
	}
	f, err := os.OpenFile(filepath.Join(n.dir, "log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatalf("%s: %v", n.name, err)
	}
	cmd := exec.Command(n.bin, "--scheme", "http", "--host", "127.0.0.1",
		"--port", strconv.Itoa(n.p.http), "--read-timeout=120s", "--write-timeout=120s")
	cmd.Env = n.env
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("%s: start %s: %v", n.name, n.bin, err)
	}
	n.cmd, n.log, n.done = cmd, f, make(chan struct{})
	go func(done chan struct{}) {
		cmd.Wait()
		f.Close()
		close(done)
	}(n.done)
}

// running reports whether the node's process is alive.
func (n *node) running() bool {
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits for the process to exit.
func (n *node) kill() {
	if !n.running() {
		return
	}
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
}

// stop sends SIGTERM and waits for the exit, killing the node if it takes
// more than a minute.
func (n *node) stop() {
	if !n.running() {
		return
	}
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(time.Minute):
		n.kill()
	}
}

// url returns the node's REST address of path.
func (n *node) url(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", n.p.http, path)
}

// tail returns the last lines of the node's log, for failure messages.
func (n *node) tail() string {
	b, _ := os.ReadFile(filepath.Join(n.dir, "log"))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}

// waitReady polls the node's readiness until it answers 200, the process
// exits, or ctx ends.
func (n *node) waitReady(ctx context.Context, t *testing.T) {
	t.Helper()
	for {
		if !n.running() {
			t.Fatalf("%s exited while starting; its log ends:\n%s", n.name, n.tail())
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", n.url("/v1/.well-known/ready"), nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s not ready within %v; its log ends:\n%s", n.name, startTimeout, n.tail())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// waitHealthy waits until node n reports all three nodes healthy.
func (c *cluster) waitHealthy(ctx context.Context, n *node) {
	c.t.Helper()
	for {
		var out struct {
			Nodes []struct {
				Name, Status string
			} `json:"nodes"`
		}
		err := call(ctx, "GET", n.url("/v1/nodes"), nil, &out)
		healthy := 0
		for _, x := range out.Nodes {
			if x.Status == "HEALTHY" {
				healthy++
			}
		}
		if err == nil && healthy == len(c.nodes) {
			return
		}
		select {
		case <-ctx.Done():
			c.t.Fatalf("%s: the cluster is not healthy within %v (%d healthy, %v); log ends:\n%s", n.name, startTimeout, healthy, err, n.tail())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// startAll starts every node that is not running and waits until each is
// ready and sees the others healthy.
func (c *cluster) startAll(ctx context.Context) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for _, n := range c.nodes {
		if !n.running() {
			n.start(c.t)
		}
	}
	for _, n := range c.nodes {
		n.waitReady(ctx, c.t)
	}
	for _, n := range c.nodes {
		c.waitHealthy(ctx, n)
	}
}

// call sends a JSON request and decodes a JSON answer into out (if not
// nil); a status other than 2xx is an error carrying the body.
func call(ctx context.Context, method, url string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, strings.TrimSpace(string(b)))
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode %q: %v", method, url, b, err)
		}
	}
	return nil
}

// nonLoopback returns the sockets of process pid that listen (TCP) or are
// bound (UDP) on an address other than loopback, as "proto addr:port".
func nonLoopback(pid int) ([]string, error) {
	inodes := map[string]bool{}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return nil, err
	}
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	var bad []string
	for _, proto := range []string{"tcp", "tcp6", "udp", "udp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, proto))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || !inodes[fields[9]] {
				continue
			}
			local, state := fields[1], fields[3]
			if strings.HasPrefix(proto, "tcp") && state != "0A" { // not listening
				continue
			}
			host, port, _ := strings.Cut(local, ":")
			switch host {
			case "0100007F", // 127.0.0.1
				"00000000000000000000000001000000", // ::1
				"0000000000000000FFFF00000100007F": // ::ffff:127.0.0.1
				continue
			}
			p, _ := strconv.ParseInt(port, 16, 32)
			bad = append(bad, fmt.Sprintf("%s %s:%d", proto, host, p))
		}
		f.Close()
	}
	return bad, nil
}

// nodeBackend is the Silica backend the nodes' indexes open:
// SILICA_WEAVIATE_BACKEND (cuda on the GPU machine), else cpu.
func nodeBackend() string {
	if b := os.Getenv("SILICA_WEAVIATE_BACKEND"); b != "" {
		return b
	}
	return "cpu"
}
