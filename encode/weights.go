package encode

import (
	"fmt"
	"path/filepath"

	"github.com/silica-go/silica/encode/safetensors"
	"github.com/silica-go/silica/engine"
)

// dense is a linear layer y = x·Wᵀ + b, W [out, in] as torch stores it,
// b [out].
type dense struct{ w, b *engine.Array }

// norm is a layer norm's scale and shift, each [hidden].
type norm struct{ g, b *engine.Array }

// layer is one transformer block.
type layer struct {
	q, k, v dense
	o       dense
	ln1     norm  // after attention
	up      dense // intermediate
	down    dense // output
	ln2     norm  // after the feed-forward part
}

// weights are the model's parameters on the engine: the matrices (dense
// weights, embedding tables) as Options.DType, biases and layer norms as
// Float32.
type weights struct {
	word, pos *engine.Array // [vocab, hidden], [max positions, hidden]
	typeRow   *engine.Array // [1, hidden]: token type 0, the only one a single text uses
	ln        norm
	layers    []layer
	vocab     int
}

// all returns every array of w, for Free.
func (w *weights) all() []*engine.Array {
	out := []*engine.Array{w.word, w.pos, w.typeRow, w.ln.g, w.ln.b}
	for _, l := range w.layers {
		out = append(out, l.q.w, l.q.b, l.k.w, l.k.b, l.v.w, l.v.b, l.o.w, l.o.b, l.ln1.g, l.ln1.b,
			l.up.w, l.up.b, l.down.w, l.down.b, l.ln2.g, l.ln2.b)
	}
	return out
}

// loader takes tensors from a checkpoint by their BERT names, with or
// without the "bert." prefix, checking their shapes.
type loader struct {
	f    *safetensors.File
	path string
	e    *engine.Engine
	dt   engine.DType // the storage of matrices (dense weights, embedding tables)
	err  error
}

// tensor uploads the tensor called name (or "bert."+name; for a layer
// norm also the old "gamma"/"beta" names) as Float32 of the given shape;
// a negative size in shape accepts any (the vocabulary when config.json
// omits it). After the first error it returns nil and keeps that error.
func (l *loader) tensor(name string, shape ...int) *engine.Array {
	return l.tensorAs(engine.Float32, name, shape...)
}

// matrix is tensor stored as the loader's dtype.
func (l *loader) matrix(name string, shape ...int) *engine.Array {
	return l.tensorAs(l.dt, name, shape...)
}

func (l *loader) tensorAs(dt engine.DType, name string, shape ...int) *engine.Array {
	if l.err != nil {
		return nil
	}
	t, ok := l.find(name)
	if !ok {
		l.err = fmt.Errorf("encode: %s: tensor %q is missing (nor is it there as %q)", l.path, name, "bert."+name)
		return nil
	}
	want := fmt.Sprint(shape)
	good := len(t.Shape) == len(shape)
	for i := 0; good && i < len(shape); i++ {
		good = shape[i] < 0 || t.Shape[i] == shape[i]
	}
	if !good {
		l.err = fmt.Errorf("encode: %s: tensor %q is %v; config.json wants %s", l.path, t.Name, t.Shape, want)
		return nil
	}
	vals, err := t.Float32()
	if err != nil {
		l.err = fmt.Errorf("encode: %s: %w", l.path, err)
		return nil
	}
	a, err := l.e.FromFloat32As(vals, dt, t.Shape...)
	if err != nil {
		l.err = fmt.Errorf("encode: %s: tensor %q: %w", l.path, t.Name, err)
	}
	return a
}

// old names of a layer norm's parameters in early BERT checkpoints.
var oldNames = map[string]string{"LayerNorm.weight": "LayerNorm.gamma", "LayerNorm.bias": "LayerNorm.beta"}

func (l *loader) find(name string) (safetensors.Tensor, bool) {
	names := []string{name, "bert." + name}
	for suffix, old := range oldNames {
		if n := len(name) - len(suffix); n >= 0 && name[n:] == suffix {
			names = append(names, name[:n]+old, "bert."+name[:n]+old)
		}
	}
	for _, n := range names {
		if t, ok := l.f.Tensor(n); ok {
			return t, true
		}
	}
	return safetensors.Tensor{}, false
}

func (l *loader) dense(name string, out, in int) dense {
	return dense{l.matrix(name+".weight", out, in), l.tensor(name+".bias", out)}
}

func (l *loader) norm(name string, n int) norm {
	return norm{l.tensor(name+".weight", n), l.tensor(name+".bias", n)}
}

// loadWeights reads dir/model.safetensors onto e, checking every tensor
// against c.
func loadWeights(dir string, c *config, e *engine.Engine, dt engine.DType) (*weights, error) {
	path := filepath.Join(dir, "model.safetensors")
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	defer f.Close()
	l := &loader{f: f, path: path, e: e, dt: dt}
	h, vocab := c.Hidden, c.Vocab
	if vocab == 0 {
		vocab = -1
	}
	w := &weights{
		word: l.matrix("embeddings.word_embeddings.weight", vocab, h),
		pos:  l.matrix("embeddings.position_embeddings.weight", c.MaxPositions, h),
		ln:   l.norm("embeddings.LayerNorm", h),
	}
	types := l.matrix("embeddings.token_type_embeddings.weight", c.TypeVocab, h)
	for i := 0; i < c.Layers && l.err == nil; i++ {
		p := fmt.Sprintf("encoder.layer.%d.", i)
		ly := layer{
			q:    l.dense(p+"attention.self.query", h, h),
			k:    l.dense(p+"attention.self.key", h, h),
			v:    l.dense(p+"attention.self.value", h, h),
			o:    l.dense(p+"attention.output.dense", h, h),
			ln1:  l.norm(p+"attention.output.LayerNorm", h),
			up:   l.dense(p+"intermediate.dense", c.Intermediate, h),
			down: l.dense(p+"output.dense", h, c.Intermediate),
			ln2:  l.norm(p+"output.LayerNorm", h),
		}
		w.layers = append(w.layers, ly)
	}
	if l.err != nil {
		w.free()
		return nil, l.err
	}
	w.vocab = w.word.Shape()[0]
	if w.typeRow, err = engine.Slice(types, 0, 1, 0, h); err == nil {
		w.typeRow, err = engine.Cast(w.typeRow, engine.Float32)
	}
	if err == nil {
		err = w.typeRow.Eval()
	}
	types.Free()
	if err != nil {
		w.free()
		return nil, fmt.Errorf("encode: token type embeddings: %w", err)
	}
	return w, nil
}

// free releases every array w holds.
func (w *weights) free() {
	for _, a := range w.all() {
		if a != nil {
			a.Free()
		}
	}
}
