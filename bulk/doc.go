// Package bulk plans and applies many grant writes at once: BulkCreate's
// batches (skip duplicates, all or nothing, upsert) with one result per item,
// and asynchronous bulk access jobs that apply one step per resource.
//
// bulk works through store's typed transactions and never opens one itself:
// the engine owns the one write path, and hands bulk a transaction to fill.
//
// # Who uses it
//
// bulk is used by engine. Applications use engine and model; they meet bulk
// only through the types of engine's BulkCreate and job calls (Options,
// Mode, Result, Item, Summary, JobSpec, ACE, JobSummary, JobStep,
// StepFilter and their constants), which appear in engine's API. Batch,
// JobRun and the ...Txn functions serve engine and may change with it.
// The words of a particular HTTP API stay in the service that speaks it
// (examples/accessapi); Result.HTTPStatus is the one mapping bulk keeps.
package bulk
