package main

import (
	"fmt"
	"io"

	"github.com/silica-go/silica/encode"
)

// writeEncode prints the encode scenarios' table: documents/s and
// tokens/s of encoding, and the pipeline's parts.
func writeEncode(w io.Writer, rep *Report, rows []Result) {
	c := rep.Config
	budget := fmt.Sprintf("%d (the encoder's default on the CPU; %d on a GPU)", encode.DefaultBatchTokens, encode.DefaultDeviceBatchTokens)
	if c.BatchTokens != 0 {
		budget = fmt.Sprint(c.BatchTokens)
	}
	what, others := fmt.Sprintf("%d fortunes (internal/textcorpus)", c.Texts), "fortunes"
	if c.TextKind == textLines {
		what, others = fmt.Sprintf("%d short documents (distinct lines of the fortunes, then pairs of them: textcorpus.Lines)", c.Texts), "documents"
	}
	checked := ""
	if c.Texts > refDocs {
		checked = fmt.Sprintf(" (of %d documents picked by the seed, and every query)", refDocs)
	}
	fmt.Fprintf(w, "\n### Encoding: %s, model %s\n\n", what, c.Model)
	fmt.Fprintf(w, "encode is the encoder's call on every text, tokenizing included (Silica: Encoder.Encode, texts sorted by length and packed "+
		"into batches of at most %s tokens, no padding; sentence-transformers: model.encode(texts, batch_size=%d), which sorts by length "+
		"and pads each batch to its longest; onnxruntime: the model exported by torch.onnx.export, the tokenizers library, "+
		"batches of %d sorted by length and padded, mean pooling and normalizing in NumPy). "+
		"encode_store is the seed's pipeline: a store made and every text encoded and added (Silica: store.New with the encoder, AddTexts; "+
		"the peers keep the embeddings as a tensor or array), then %d other %s searched one at a time for the top %d "+
		"(Silica: SearchText; the peers encode the query, q @ x.T, top k); its docs/s is of the encoding and adding, its search ms of one query, "+
		"encoding it included, and peak memory the largest growth of the process's peak resident memory during a run. "+
		"Every output was checked before it was timed: each text's embedding%s within cosine %g (%g in float16) of "+
		"sentence-transformers' in float32 on the CPU, and the pipeline's hits the exact top k over the vectors it stored.\n\n",
		budget, c.PeerBatch, c.PeerBatch, c.TextQueries, others, min(c.K, c.Texts), checked, minCosine, minCosineHalf)
	fmt.Fprintf(w, "| scenario | dtype | backend | median s | docs/s | tokens/s | search ms (p50, p99) | peak memory | reps | vs best | verified |\n")
	fmt.Fprintf(w, "|---|---|---|--:|--:|--:|--:|--:|--:|--:|---|\n")
	prev := ""
	for _, r := range rows {
		name, dt := r.Scenario, r.DType
		if key := r.Scenario + "|" + r.DType + "|" + r.Size; key == prev {
			name, dt = "", ""
		} else {
			prev = key
		}
		verified := "yes"
		if r.MinCosine != nil {
			verified = fmt.Sprintf("yes (cosine ≥ 1 - %.1g)", 1-*r.MinCosine)
		}
		if !r.Verified {
			verified = "**" + r.Status + "**"
		}
		secs := "-"
		if r.MedianMS != nil {
			secs = fmt.Sprintf("%.2f", *r.MedianMS/1e3)
		}
		search := "-"
		if r.SearchMS != nil {
			search = ms(r.SearchMS) + ", " + ms(r.SearchP99MS)
		}
		peak := "-"
		if r.PeakBytes != nil {
			peak = mib(*r.PeakBytes, "MiB")
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			name, dt, r.Backend, secs, rate(r.DocsPerS), rate(r.TokensPerS), search, peak, reps(r), ratio(r.RatioToBest), verified)
	}
}

// rate formats a per-second rate.
func rate(v *float64) string {
	if v == nil {
		return "-"
	}
	if *v >= 100 {
		return fmt.Sprintf("%.0f", *v)
	}
	return fmt.Sprintf("%.1f", *v)
}
