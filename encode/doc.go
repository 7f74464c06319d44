// Package encode runs sentence encoders of the BERT family (the
// sentence-transformers directories of all-MiniLM-L6-v2, bge-small/base,
// e5-small/base...) on a Silica engine: token ids in, sentence vectors out,
// as sentence-transformers computes them.
//
// # Model directory
//
// Load reads config.json (model_type "bert"; hidden_size,
// num_hidden_layers, num_attention_heads, intermediate_size,
// max_position_embeddings, type_vocab_size, layer_norm_eps decide every
// size), modules.json (Transformer, Pooling, optional Normalize),
// 1_Pooling/config.json (mean, cls or max), sentence_bert_config.json
// (max_seq_length) and model.safetensors (package encode/safetensors).
// The tokenizer files are read by package encode/tokenizer.
//
// # Forward pass
//
// Built from the engine's primitive ops: gather, matmul, element-wise
// ops with broadcasting, engine.LayerNorm, engine.Attention, normalize.
// The tokens of a batch are packed as rows [n, hidden], no padding: the
// dense layers see every token of every text at once, and
// engine.Attention takes the texts' lengths, so each text's rows attend
// to its own rows only (no mask), every head in one step that never
// stores the whole score matrix. Texts are sorted by length and packed up
// to Options.BatchTokens tokens; each layer is one evaluation.
//
// # Speed
//
// A layer is about a dozen steps whatever the number of texts: four
// products for the attention's projections, the attention, two for the
// feed-forward part, two layer norms and the element-wise chains of the
// biases, GELU and residuals (each chain one fused step). On the CPU the
// products take most of the time (BenchmarkEncode1000).
//
// # Errors
//
// Every bad input (a missing file, an unsupported model, a misshapen
// tensor, an empty or too long text, an id outside the vocabulary) is a
// one-line error, returned before any work on the engine.
package encode
