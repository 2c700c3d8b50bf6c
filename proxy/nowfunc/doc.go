// Package nowfunc implements replace_cql_functions: now() (and its alias
// currentTimeUUID()) in INSERT, UPDATE, DELETE and BATCH statements is
// replaced by one timeuuid chosen by the proxy, so Origin and Target store
// the same value. SELECTs, string literals, comments and quoted identifiers
// are never touched.
//
// Wiring, in the proxy's request path (only with replace_cql_functions):
//
//	gen := nowfunc.NewGenerator()
//	// QUERY
//	if nowfunc.Contains(q) { q, _ = nowfunc.RewriteLiteral(q, gen.New()) }
//	// PREPARE: send p.Query to both clusters, remember p by prepared id;
//	// strip the extra variables from the PREPARED response to the client.
//	if p, ok := nowfunc.RewriteForPrepare(q); ok {
//		... body, err = nowfunc.StripVariables(preparedBody, version, p.Positions)
//	}
//	// EXECUTE of a statement with a remembered p:
//	body, err = nowfunc.RewriteExecute(body, version, p, gen.New())
//	// BATCH: literal children rewritten, prepared children get their values
//	body, changed, err := nowfunc.RewriteBatch(body, version, lookup, gen.New)
//
// Trade-offs: the client sees the statement's original variables (the
// PREPARED metadata is stripped), but the prepared id is the one of the
// rewritten text, so a client re-preparing directly on a cluster (bypassing
// the proxy) gets another id. A now() in a partition key column makes the
// statement's pk_indexes unusable; they are then dropped (pk_count 0), so
// token-aware drivers route that statement without a routing key, which is
// harmless behind the proxy.
package nowfunc
