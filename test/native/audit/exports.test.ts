/** lib/audit's public surface, exported by the package's index: what docs/audit.md describes. */
import * as audit from '../../../lib';

test('the audit functions and constants are exported', () => {
  const functions = [
    'rocCurve', 'rocAuc', 'tprAtFpr', 'reduceRoc', 'percentileInterval', 'bootstrapRoc', 'rocSummary',
    'rmiaMarginals', 'rmiaScores', 'logitConfidence', 'fitUlira', 'uliraScores', 'uliraEvaluation', 'rocPlotSvg',
    'referenceHalf', 'trainReferenceModels', 'audit',
  ];
  for (const name of functions) expect(typeof (audit as Record<string, unknown>)[name]).toBe('function');
  expect(audit.RMIA_OFFLINE_A).toBe(0.33);
  expect(audit.LOGIT_EPSILON).toBe(2 ** -24);
  expect(audit.VARIANCE_FLOOR).toBe(1e-6);
  expect(audit.PER_EXAMPLE_VARIANCE_MIN_OBSERVATIONS).toBe(64);
});
