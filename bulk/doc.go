// Package bulk plans and applies many grant writes at once: BulkCreate's
// batches (skip duplicates, all or nothing, upsert) with one result per item,
// and asynchronous bulk access jobs that apply one step per resource.
//
// bulk works through store's typed transactions and never opens one itself:
// the engine owns the one write path, and hands bulk a transaction to fill.
package bulk
