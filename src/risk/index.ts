// What src/risk/ offers the rest of the hub; everything else in it is its own.
export * from './types.ts';
export {
  GRANULARITIES_MS, PAIR_RETENTION_MS, PRUNE_BATCH_ROWS, SUM_MINOR_SATURATION, WINDOW_GRANULARITY_MS,
  isRoundAmount, pruneBeforeMs, pruneFeatures, readFeatures, recordPayment, subjectKeys, windowStartMs,
  type PaymentOutcome, type PruneReport,
} from './features.ts';
export {
  LIST_ENTRIES_MAX, LIST_FILE_LENGTH_MAX, LIST_FILE_LINES_MAX, LIST_PAGE_MAX, RISK_LISTS,
  addToList, isPartyKey, listEntries, listFlags, loadListFile, parseListFile, removeFromList,
  type ListEntry, type ListEntryInput, type ListFileLoad, type ListFileResult, type ListFlags, type ListRefusal, type PartyKeyOf, type RiskList,
} from './lists.ts';
