// Package model holds grantdb's plain types: levels, subjects, entities,
// grants, memberships and queries, their validation and the one error type
// that every grantdb call returns for bad input.
//
// Applications use engine and model: engine is the embedded engine, model
// the values its calls take and return. model is used by engine and by
// every package below it (resolve, bulk, store).
//
// It imports nothing else of grantdb, so any layer (and any user) can use its
// types without pulling in the engine. Values are plain data: copying one
// copies everything a caller can change.
package model
