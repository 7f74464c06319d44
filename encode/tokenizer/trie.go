package tokenizer

import (
	"bytes"
	"sort"
)

// trie finds the longest vocabulary entry that prefixes a word in one
// walk over the word's bytes, where WordPiece as written looks up every
// shorter candidate in turn. Its answer is the same: entries are valid
// UTF-8, so a prefix of a valid word that is an entry ends at a
// character boundary.
type trie struct {
	nodes []trieNode
	// labels[n.first:n.first+n.n] are the bytes of node n's edges,
	// ascending; targets the same slice of child nodes.
	labels  []byte
	targets []int32
	// dense[n.dense:n.dense+256] are the children of a node with more
	// than denseEdges edges by byte (0: none; the root is no child).
	dense []int32
}

type trieNode struct {
	first int32
	n     int32
	id    int32 // the id of the entry ending here, or -1
	dense int32 // -1 when the node has few edges
}

// denseEdges is the number of edges above which a node gets a table.
const denseEdges = 8

func newTrie(entries map[string]int32) *trie {
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t := &trie{nodes: []trieNode{{id: -1, dense: -1}}}
	t.build(0, keys, 0, entries)
	return t
}

// build gives node the entries keys (sorted, sharing their first depth
// bytes), its edges first, then its children's.
func (t *trie) build(node int32, keys []string, depth int, entries map[string]int32) {
	if len(keys) > 0 && len(keys[0]) == depth {
		t.nodes[node].id = entries[keys[0]]
		keys = keys[1:]
	}
	var groups [][]string
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j][depth] == keys[i][depth] {
			j++
		}
		groups = append(groups, keys[i:j])
		i = j
	}
	t.nodes[node].first, t.nodes[node].n = int32(len(t.labels)), int32(len(groups))
	first := int32(len(t.nodes))
	for i, g := range groups {
		t.labels = append(t.labels, g[0][depth])
		t.targets = append(t.targets, first+int32(i))
		t.nodes = append(t.nodes, trieNode{id: -1, dense: -1})
	}
	if len(groups) > denseEdges {
		t.nodes[node].dense = int32(len(t.dense))
		t.dense = append(t.dense, make([]int32, 256)...)
		for i, g := range groups {
			t.dense[int(t.nodes[node].dense)+int(g[0][depth])] = first + int32(i)
		}
	}
	for i, g := range groups {
		t.build(first+int32(i), g, depth+1, entries)
	}
}

// longest returns the length of the longest entry that prefixes w and
// its id, or 0 and false.
func (t *trie) longest(w []byte) (int, int32, bool) {
	end, id, node := 0, int32(0), int32(0)
	for i, c := range w {
		nd := &t.nodes[node]
		if nd.dense >= 0 {
			if node = t.dense[nd.dense+int32(c)]; node == 0 {
				break
			}
		} else {
			j := bytes.IndexByte(t.labels[nd.first:nd.first+nd.n], c)
			if j < 0 {
				break
			}
			node = t.targets[nd.first+int32(j)]
		}
		if x := t.nodes[node].id; x >= 0 {
			end, id = i+1, x
		}
	}
	return end, id, end > 0
}
