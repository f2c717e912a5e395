// Package resolve answers what a user may do: a user's effective level on an
// entity through direct grants, nested departments and roles that include
// roles, with the paths that explain it, listed from the user's side and from
// the entity's. It reads the store through store.ReadTxn and never writes.
package resolve
