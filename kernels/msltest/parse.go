package msltest

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// kernelRE finds a kernel function in preprocessed source: the harness's
// metal_stdlib defines `kernel` as an annotation.
var kernelRE = regexp.MustCompile(`annotate\("silica_kernel"\)\)\)\s*(\w+)\s+([A-Za-z_]\w*)\s*\(`)

// positions maps each thread-position attribute to the C++ expression of
// its value in the generated entry point (c is the __silica_ctx), as x, y
// and z components.
var positions = map[string][3]string{
	"thread_position_in_grid":        {"__c->group[0]*__c->nominal[0]+__c->pos[0]", "__c->group[1]*__c->nominal[1]+__c->pos[1]", "__c->group[2]*__c->nominal[2]+__c->pos[2]"},
	"thread_position_in_threadgroup": {"__c->pos[0]", "__c->pos[1]", "__c->pos[2]"},
	"threadgroup_position_in_grid":   {"__c->group[0]", "__c->group[1]", "__c->group[2]"},
	"threads_per_threadgroup":        {"__c->threads[0]", "__c->threads[1]", "__c->threads[2]"},
	"threadgroups_per_grid":          {"__c->groups[0]", "__c->groups[1]", "__c->groups[2]"},
	"threads_per_grid":               {"__c->grid[0]", "__c->grid[1]", "__c->grid[2]"},
	"thread_index_in_threadgroup":    {"__c->index", "0", "0"},
	"thread_index_in_simdgroup":      {"__c->lane", "0", "0"},
	"simdgroup_index_in_threadgroup": {"__c->simdgroup", "0", "0"},
	"threads_per_simdgroup":          {"32u", "0", "0"},
	"simdgroups_per_threadgroup":     {"__c->simdgroups", "0", "0"},
}

// tgAttrRE finds [[threadgroup(n)]] attributes, which build rewrites to
// [[silica_threadgroup(n)]] (same line, same length class) because the
// harness defines threadgroup as an address-space macro.
var tgAttrRE = regexp.MustCompile(`\[\[\s*threadgroup\s*\(`)

// tgDeclRE finds a threadgroup variable declared in kernel scope:
// `threadgroup T name;` or `threadgroup T name[N]...;`, T one identifier
// (possibly qualified or with template arguments).
var tgDeclRE = regexp.MustCompile(`\bthreadgroup\s+([A-Za-z_][\w:]*(?:\s*<[^;{}()]*?>)?)\s+([A-Za-z_]\w*)\s*((?:\[[^\]]+\]\s*)*);`)

// rewrite prepares a source for the harness without moving any line:
//   - [[threadgroup(n)]] becomes [[silica_threadgroup(n)]], because the
//     harness defines threadgroup as an address-space macro;
//   - a threadgroup variable in kernel scope becomes a reference to
//     memory the runtime hands out per threadgroup (the k-th such
//     declaration a thread executes gets the group's k-th block):
//     `threadgroup T (&name)[N] = *(threadgroup T (*)[N])__silica_tg_alloc(...);`
func rewrite(src string) string {
	src = tgAttrRE.ReplaceAllString(src, "[[silica_threadgroup(")
	return tgDeclRE.ReplaceAllStringFunc(src, func(decl string) string {
		m := tgDeclRE.FindStringSubmatch(decl)
		typ, name, dims := m[1], m[2], strings.TrimSpace(m[3])
		if typ == "const" || typ == "static" {
			return decl
		}
		if dims == "" {
			return fmt.Sprintf("threadgroup %s &%s = *(threadgroup %s *)__silica_tg_alloc(sizeof(%s), alignof(%s));",
				typ, name, typ, typ, typ)
		}
		return fmt.Sprintf("threadgroup %s (&%s)%s = *(threadgroup %s (*)%s)__silica_tg_alloc(sizeof(%s%s), alignof(%s));",
			typ, name, dims, typ, dims, typ, dims, typ)
	})
}

// parseKernels finds every kernel in preprocessed source and the
// attribute of each of its parameters.
func parseKernels(pre string) (map[string]*Signature, error) {
	sigs := map[string]*Signature{}
	for _, m := range kernelRE.FindAllStringSubmatchIndex(pre, -1) {
		ret, name := pre[m[2]:m[3]], pre[m[4]:m[5]]
		if ret != "void" {
			return nil, fmt.Errorf("kernel %s returns %s; kernels return void", name, ret)
		}
		body, err := balanced(pre[m[1]-1:])
		if err != nil {
			return nil, fmt.Errorf("kernel %s: %v", name, err)
		}
		sig := &Signature{Name: name}
		for i, p := range splitTop(body) {
			prm, err := parseParam(p)
			if err != nil {
				return nil, fmt.Errorf("kernel %s, parameter %d (%s): %v", name, i+1, strings.TrimSpace(p), err)
			}
			sig.Params = append(sig.Params, prm)
		}
		if _, dup := sigs[name]; dup {
			continue // a declaration and its definition
		}
		sigs[name] = sig
	}
	return sigs, nil
}

// balanced returns the text inside the parentheses that s starts with.
func balanced(s string) (string, error) {
	depth := 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return s[1:i], nil
			}
		}
	}
	return "", fmt.Errorf("unbalanced parentheses in the parameter list")
}

// splitTop splits a parameter list at the commas outside brackets.
func splitTop(s string) []string {
	if strings.TrimSpace(s) == "" || strings.TrimSpace(s) == "void" {
		return nil
	}
	var parts []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(', '[', '<', '{':
			depth++
		case ')', ']', '>', '}':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

var attrRE = regexp.MustCompile(`([A-Za-z_]\w*)\s*\[\[\s*([A-Za-z_]\w*)\s*(?:\(\s*(\d+)\s*\))?\s*\]\]\s*$`)

func parseParam(p string) (Param, error) {
	m := attrRE.FindStringSubmatch(strings.TrimSpace(p))
	if m == nil {
		return Param{}, fmt.Errorf("want `type name [[attribute]]`: every kernel parameter needs a buffer, threadgroup or thread-position attribute")
	}
	prm := Param{Name: m[1], Attr: m[2]}
	if prm.Attr == "silica_threadgroup" {
		prm.Attr = "threadgroup"
	}
	switch prm.Attr {
	case "buffer", "threadgroup":
		if m[3] == "" {
			return Param{}, fmt.Errorf("[[%s]] needs an index, [[%s(n)]]", prm.Attr, prm.Attr)
		}
		prm.Index, _ = strconv.Atoi(m[3])
		if prm.Index >= 31 {
			return Param{}, fmt.Errorf("[[%s(%d)]]: Metal has indices 0 to 30", prm.Attr, prm.Index)
		}
	default:
		if _, ok := positions[prm.Attr]; !ok {
			return Param{}, fmt.Errorf("attribute [[%s]] is not in the harness subset (buffer, threadgroup, %s)", prm.Attr, strings.Join(positionNames(), ", "))
		}
		if m[3] != "" {
			return Param{}, fmt.Errorf("[[%s]] takes no index", prm.Attr)
		}
	}
	return prm, nil
}

func positionNames() []string {
	var n []string
	for k := range positions {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// entryPoints generates the C++ that calls each kernel from a
// __silica_ctx: buffer and threadgroup pointers are cast to the declared
// parameter types (deduced by the compiler), positions converted to the
// declared scalar or vector type.
func entryPoints(source string, sigs map[string]*Signature) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "#include %q\n#include \"silica_rt.h\"\n", source)
	b.WriteString(`namespace __silica_gen {
template <class F> struct fn;
template <class R, class... A> struct fn<R(A...)> {
	template <unsigned I> using arg = __type_pack_element<I, A...>;
};
template <class T> struct bind { static T from(void* p) { return (T)(__UINTPTR_TYPE__)p; } };
template <class T> struct bind<T&> { static T& from(void* p) { return *(T*)(__UINTPTR_TYPE__)p; } };
template <class T> struct pos { static T from(unsigned x, unsigned, unsigned) { return T(x); } };
#define SILICA_POS(T) \
	template <> struct pos<metal::T##2> { static metal::T##2 from(unsigned x, unsigned y, unsigned) { metal::T##2 v; v.x = x; v.y = y; return v; } }; \
	template <> struct pos<metal::T##3> { static metal::T##3 from(unsigned x, unsigned y, unsigned z) { metal::T##3 v; v.x = x; v.y = y; v.z = z; return v; } };
SILICA_POS(uint)
SILICA_POS(ushort)
SILICA_POS(int)
#undef SILICA_POS
} // namespace __silica_gen
`)
	names := make([]string, 0, len(sigs))
	for n := range sigs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		sig := sigs[n]
		fmt.Fprintf(&b, "static void __silica_call_%s(const __silica_ctx* __c) {\n\t%s(", n, n)
		for i, p := range sig.Params {
			if i > 0 {
				b.WriteString(",\n\t\t")
			}
			t := fmt.Sprintf("__silica_gen::fn<decltype(%s)>::arg<%d>", n, i)
			switch p.Attr {
			case "buffer":
				fmt.Fprintf(&b, "__silica_gen::bind<%s>::from(__c->buffers[%d])", t, p.Index)
			case "threadgroup":
				fmt.Fprintf(&b, "__silica_gen::bind<%s>::from(__c->tgmem[%d])", t, p.Index)
			default:
				e := positions[p.Attr]
				fmt.Fprintf(&b, "__silica_gen::pos<%s>::from(%s, %s, %s)", t, e[0], e[1], e[2])
			}
		}
		b.WriteString(");\n}\n")
	}
	b.WriteString("extern \"C\" const __silica_entry __silica_entries[] = {\n")
	for _, n := range names {
		nb, nt := 0, 0
		for _, p := range sigs[n].Params {
			switch p.Attr {
			case "buffer":
				nb = max(nb, p.Index+1)
			case "threadgroup":
				nt = max(nt, p.Index+1)
			}
		}
		fmt.Fprintf(&b, "\t{%q, __silica_call_%s, %d, %d},\n", n, n, nb, nt)
	}
	b.WriteString("\t{0, 0, 0, 0},\n};\n")
	return b.String(), nil
}
