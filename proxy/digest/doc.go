// Package digest compares the rows two clusters returned for the same read,
// for read_mode DUAL_ASYNC_ON_SECONDARY: the proxy answers the client from
// the primary and, for a sample of reads, compares the secondary's RESULT.
//
// The digest is order-insensitive: each row's raw cell bytes (with their
// length prefixes, so null, empty and cell boundaries count) are hashed to
// 64 bits and the hashes are summed mod 2^64; the row and column counts are
// kept beside. Paging state, result metadata ids and column specs do not
// take part, so metadata differences that do not change values are ignored.
// Hashes use hash/maphash with a seed fixed for the process: digests are
// comparable within one process only.
//
// Wiring (async read completed, both RESULT bodies in hand):
//
//	sampler := digest.NewSampler(cfg.AsyncReadCompareSampleRate)
//	mlog := digest.NewMismatchLogger(logger, 10, cfg.LogMismatchValues)
//	...
//	if sampler.Sample() {
//		pb, _ := digest.StripEnvelope(primaryBody, primaryHeaderFlags)
//		sb, _ := digest.StripEnvelope(secondaryBody, secondaryHeaderFlags)
//		res, err := digest.Compare(pb, sb, "", "")
//		if err == nil {
//			m.AsyncReadCompared.Inc()
//			if !res.Match {
//				m.AsyncReadMismatch(res.Keyspace, res.Table)
//				mlog.Log(digest.Mismatch{Result: res, Statement: cql, Values: values})
//			}
//		}
//	}
//
// Pages are compared page by page; both sides must have been asked for the
// same page size, or row sets of a page legitimately differ.
package digest
