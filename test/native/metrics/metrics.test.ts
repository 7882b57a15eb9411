/**
 * Metrics on constructed cases with known answers: a perfect model (one-hot correct
 * probabilities), a random model (uniform probabilities), two identical models, separable and
 * inseparable attack sets; plus bad inputs, which must raise typed errors.
 */
import {
  accuracy,
  AbortError,
  distanceToRetrained,
  gapsToRetrain,
  info,
  metricsRecord,
  miaCamu,
  miaCamuSync,
  miaEfficacy,
  miaEfficacySync,
  miaEntropy,
  miaLoss,
  relearnTime,
  rte,
  tensor,
  zrf,
} from '../../../lib';
import * as fs from 'fs';
import * as path from 'path';
import { seededRandom } from '../../helpers/models';
import { fixturesDir } from '../../helpers/paths';

const matrix = (rows: number[][]) => tensor(Float32Array.from(rows.flat()), [rows.length, rows[0].length]);
const indices = (values: number[]) => tensor(BigInt64Array.from(values.map(BigInt)), [values.length]);
const oneHot = (labels: number[], classes: number) =>
  labels.map((label) => Array.from({ length: classes }, (_, c) => (c === label ? 1 : 0)));
const uniform = (rows: number, classes: number) => Array.from({ length: rows }, () => new Array(classes).fill(1 / classes));
// Rows drawn from one distribution: normalised uniform noise.
function randomRows(rows: number, classes: number, random: () => number): number[][] {
  return Array.from({ length: rows }, () => {
    const row = Array.from({ length: classes }, () => random() + 1e-3);
    const sum = row.reduce((a, b) => a + b, 0);
    return row.map((v) => v / sum);
  });
}
// A confident model: most mass on one class.
function confidentRows(rows: number, classes: number, random: () => number): number[][] {
  return Array.from({ length: rows }, () => {
    const top = Math.floor(random() * classes);
    return Array.from({ length: classes }, (_, c) => (c === top ? 0.91 : 0.09 / (classes - 1)));
  });
}
const cycleLabels = (rows: number, classes: number) => Array.from({ length: rows }, (_, i) => i % classes);

function js(p: number[], q: number[]): number {
  const kl = (a: number[], m: number[]) => a.reduce((acc, v, i) => acc + (v > 0 ? v * Math.log(v / m[i]) : 0), 0);
  const m = p.map((v, i) => (v + q[i]) / 2);
  return 0.5 * kl(p, m) + 0.5 * kl(q, m);
}

function expectTypedError(call: () => unknown, name: 'TypeError' | 'RangeError' | 'CamuError', message?: RegExp) {
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeDefined();
  expect((thrown as Error).name).toBe(name);
  expect((thrown as { code?: string }).code).toMatch(/^ERR_/);
  if (message) expect((thrown as Error).message).toMatch(message);
}

describe('accuracy', () => {
  const labels = cycleLabels(40, 4);

  it('perfect model: 100% overall and on both class subsets', () => {
    const result = accuracy({ predictions: matrix(oneHot(labels, 4)), labels: indices(labels), forgottenClasses: [0], set: 'test' });
    expect(result).toMatchObject({ correct: 40, count: 40, percent: 100 });
    expect(result.remainingClasses).toEqual({ correct: 30, count: 30, percent: 100 });
    expect(result.forgottenClasses).toEqual({ correct: 10, count: 10, percent: 100 });
    expect(result.metrics).toEqual({ 'acc.test': 100, 'acc.test.remainingClasses': 100, 'acc.test.forgottenClasses': 100 });
  });

  it('random model (uniform rows): argmax takes the first tied class, so only class 0 is right', () => {
    const result = accuracy({ predictions: matrix(uniform(40, 4)), labels: indices(labels), forgottenClasses: [0] });
    expect(result.percent).toBe(25);
    expect(result.remainingClasses?.percent).toBe(0);
    expect(result.forgottenClasses?.percent).toBe(100);
    expect(Object.keys(result.metrics)).toEqual(['acc', 'acc.remainingClasses', 'acc.forgottenClasses']);
  });

  it('class-index predictions from typed arrays, a mask, and null over zero rows', () => {
    const predictions = Int32Array.from([0, 1, 2, 2, 1, 0]);
    const y = BigInt64Array.from([0n, 1n, 2n, 0n, 0n, 0n]);
    expect(accuracy({ predictions, labels: y }).percent).toBeCloseTo(400 / 6, 10);
    const mask = Uint8Array.from([0, 0, 0, 1, 1, 1]);
    expect(accuracy({ predictions, labels: y, mask })).toMatchObject({ correct: 1, count: 3 });
    const none = accuracy({ predictions, labels: y, mask: new Uint8Array(6), forgottenClasses: [0] });
    expect(none).toMatchObject({ count: 0, percent: null, forgottenClasses: { count: 0, percent: null } });
    const scores = { data: Float64Array.from([0.1, 0.9, 0.8, 0.2]), shape: [2, 2] as [number, number] };
    expect(accuracy({ predictions: scores, labels: Int32Array.from([1, 1]) }).percent).toBe(50);
  });

  it('rejects mismatched lengths, out-of-range labels and classes, and bad shapes', () => {
    expectTypedError(() => accuracy({ predictions: matrix(uniform(3, 2)), labels: indices([0, 1]) }), 'RangeError', /acc: labels has 2 rows but 3/);
    expectTypedError(() => accuracy({ predictions: matrix(uniform(2, 2)), labels: indices([0, 2]) }), 'RangeError', /\[0, 2\)/);
    expectTypedError(() => accuracy({ predictions: matrix(uniform(2, 2)), labels: indices([0, -1]) }), 'RangeError');
    expectTypedError(() => accuracy({ predictions: matrix(uniform(2, 2)), labels: indices([0, 1]), forgottenClasses: [5] }), 'RangeError', /forgottenClasses/);
    expectTypedError(() => accuracy({ predictions: matrix(uniform(2, 2)), labels: indices([0, 1]), mask: Uint8Array.from([1]) }), 'RangeError', /mask/);
    expectTypedError(() => accuracy({ predictions: Float32Array.from([0.5, 0.5]) as never, labels: indices([0, 1]) }), 'TypeError', /int64 or int32/);
    expectTypedError(() => accuracy({ predictions: matrix(uniform(2, 2)), labels: Float32Array.from([0, 1]) as never }), 'TypeError', /labels/);
    expectTypedError(() => accuracy({ predictions: matrix(uniform(2, 2)), labels: indices([0, 1]), set: '' }), 'TypeError');
  });
});

describe('mia.camu', () => {
  const random = seededRandom(7);
  const classes = 10;

  it('reports whether this build has XGBoost, and never another attack in its place', () => {
    const result = miaCamuSync({
      sampleProbabilities: matrix(confidentRows(30, classes, random)),
      testProbabilities: matrix(uniform(40, classes)),
      forgetProbabilities: matrix(confidentRows(5, classes, random)),
      trainSize: 20,
    });
    expect(result.available).toBe(info().xgboost.available);
    if (!result.available) {
      expect(result.reason).toMatch(/XGBoost/);
      expect(result.metrics['mia.camu']).toBeNull();
    }
  });

  const xgboost = info().xgboost.available ? describe : describe.skip;
  xgboost('with XGBoost', () => {
    it('separable attack set (confident members, uniform non-members): accuracy 1, reference counts', () => {
      const result = miaCamuSync({
        sampleProbabilities: matrix(confidentRows(4100, classes, random)),
        testProbabilities: matrix(uniform(4500, classes)),
        forgetProbabilities: matrix(confidentRows(300, classes, random)),
        seed: 3,
      });
      expect(result).toMatchObject({
        available: true,
        accuracy: 1,
        heldOutAccuracy: 1,
        trainMembers: 4000,
        trainNonMembers: 4000,
        heldOut: 80,
        evalMembers: 300,
        evalNonMembers: 300,
        trees: 100,
        seed: 3,
        threads: info().threads.intraOp,
      });
      expect(result.metrics).toEqual({ 'mia.camu': 1 });
    });

    it('evaluation non-members are the test rows after the training ones, at most |D_f| of them', () => {
      // Test rows 0-99 uniform (training non-members), 100-129 confident: the attacker calls
      // them members, so they must be exactly the 30 evaluation non-members.
      const test = [...uniform(100, classes), ...confidentRows(30, classes, random)];
      const result = miaCamuSync({
        sampleProbabilities: matrix(confidentRows(150, classes, random)),
        testProbabilities: matrix(test),
        forgetProbabilities: matrix(confidentRows(40, classes, random)),
        trainSize: 100,
      });
      expect(result).toMatchObject({ trainMembers: 100, trainNonMembers: 100, heldOut: 2, evalMembers: 40, evalNonMembers: 30 });
      if (result.available) expect(result.accuracy).toBeCloseTo(40 / 70, 12);
    });

    it('inseparable attack set (one distribution for both sides): accuracy near 0.5, same seed same result', async () => {
      const rows = randomRows(2600, classes, seededRandom(11));
      const input = {
        sampleProbabilities: matrix(rows.slice(0, 1000)),
        testProbabilities: matrix(rows.slice(1000, 2600)),
        forgetProbabilities: matrix(randomRows(600, classes, seededRandom(12))),
        trainSize: 1000,
        seed: 5,
      };
      const steps: number[] = [];
      const result = await miaCamu(input, { onProgress: (p) => steps.push(p.step) });
      expect(result.available && result.evalNonMembers).toBe(600);
      expect(Math.abs((result.metrics['mia.camu'] as number) - 0.5)).toBeLessThan(0.06);
      expect(steps).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(miaCamuSync(input)).toEqual(result);
    });

    it('aborts between boosting rounds', async () => {
      const controller = new AbortController();
      const steps: number[] = [];
      const run = miaCamu(
        {
          sampleProbabilities: matrix(randomRows(400, classes, random)),
          testProbabilities: matrix(randomRows(500, classes, random)),
          forgetProbabilities: matrix(randomRows(50, classes, random)),
          trainSize: 400,
        },
        { signal: controller.signal, onProgress: (p) => steps.push(p.step) },
      );
      controller.abort();  // the worker checks the flag before each of the 100 rounds
      await expect(run).rejects.toBeInstanceOf(AbortError);
      expect(steps.length).toBeLessThan(100);
    });
  });

  it('rejects bad inputs (the async form throws before starting)', () => {
    const ok = matrix(uniform(10, 3));
    expectTypedError(() => miaCamuSync({ sampleProbabilities: ok, testProbabilities: ok, forgetProbabilities: matrix(uniform(2, 4)) }), 'RangeError', /same number of classes/);
    expectTypedError(() => miaCamuSync({ sampleProbabilities: ok, testProbabilities: ok, forgetProbabilities: ok, trainSize: 10 }), 'RangeError', /testProbabilities has 10 rows; at least 11/);
    expectTypedError(() => miaCamuSync({ sampleProbabilities: Float32Array.from([1, 0]) as never, testProbabilities: ok, forgetProbabilities: ok }), 'TypeError', /2-D/);
    expectTypedError(() => miaCamuSync({ sampleProbabilities: matrix([[2, -1]]), testProbabilities: ok, forgetProbabilities: ok }), 'RangeError', /logits/);
    expectTypedError(() => miaCamu({ sampleProbabilities: ok, testProbabilities: ok, forgetProbabilities: ok, trainSize: 0 }), 'RangeError', /trainSize must be in/);
  });
});

describe('mia.loss', () => {
  const losses = (values: number[]) => Float64Array.from(values);

  it('separable attack set (small forget losses, large test losses): accuracy 1 in every fold', () => {
    const random = seededRandom(1);
    const result = miaLoss({
      forgetLosses: losses(Array.from({ length: 60 }, () => 0.01 + 0.1 * random())),
      testLosses: losses(Array.from({ length: 500 }, () => 2 + random())),
    });
    expect(result).toMatchObject({ accuracy: 1, perSide: 60, folds: 5, forgetRows: 60, testRows: 500, seed: 0 });
    expect(result.foldAccuracies).toEqual([1, 1, 1, 1, 1]);
    expect(result.metrics).toEqual({ 'mia.loss': 1 });
  });

  it('inseparable attack set (one distribution for both sides): accuracy near 0.5, same seed same result', () => {
    const random = seededRandom(2);
    const input = {
      forgetLosses: losses(Array.from({ length: 1500 }, () => -Math.log(random() + 1e-9))),
      testLosses: tensor(Float32Array.from({ length: 1500 }, () => -Math.log(random() + 1e-9)), [1500]),
      folds: 3,
      seed: 9,
    };
    const result = miaLoss(input);
    expect(result.foldAccuracies).toHaveLength(3);
    expect(Math.abs(result.accuracy - 0.5)).toBeLessThan(0.05);
    expect(miaLoss(input)).toEqual(result);
  });

  it('identical losses on both sides: the fitted attacker says non-member for all, accuracy exactly 0.5', () => {
    const result = miaLoss({ forgetLosses: losses(new Array(20).fill(0.7)), testLosses: losses(new Array(20).fill(0.7)) });
    expect(result.accuracy).toBe(0.5);
  });

  it('rejects too few samples for k folds, 2-D losses, non-finite losses and bad options', () => {
    const five = losses([1, 2, 3, 4, 5]);
    expectTypedError(() => miaLoss({ forgetLosses: losses([1, 2, 3]), testLosses: five }), 'RangeError', /forgetLosses has 3 rows; at least 5/);
    expectTypedError(() => miaLoss({ forgetLosses: five, testLosses: five, folds: 6 }), 'RangeError', /6-fold/);
    expectTypedError(() => miaLoss({ forgetLosses: five, testLosses: five, folds: 1 }), 'RangeError', /folds/);
    expectTypedError(() => miaLoss({ forgetLosses: tensor(new Float32Array(10), [5, 2]), testLosses: five }), 'TypeError', /1-D/);
    expectTypedError(() => miaLoss({ forgetLosses: losses([1, 2, 3, 4, NaN]), testLosses: five }), 'RangeError', /NaN/);
    expectTypedError(() => miaLoss({ forgetLosses: five, testLosses: five, seed: -1 }), 'RangeError', /seed/);
    expectTypedError(() => miaLoss({ forgetLosses: five } as never), 'TypeError', /testLosses/);
  });
});

describe('mia.entropy', () => {
  const classes = 5;
  const retain = matrix(oneHot(cycleLabels(300, classes), classes)); // perfect model on D_r: entropy 0
  const test = matrix(uniform(100, classes)); // random model on T: entropy ln 5

  it('forget rows like the retain rows are all members; like the test rows, none', () => {
    const members = miaEntropy({ retainProbabilities: retain, testProbabilities: test, forgetProbabilities: matrix(oneHot([0, 1, 2, 3], classes)) });
    expect(members).toMatchObject({ memberFraction: 1, predictedMembers: 4, trainMembers: 100, trainNonMembers: 100, forgetRows: 4 });
    expect(members.metrics).toEqual({ 'mia.entropy': 1 });
    const nonMembers = miaEntropy({ retainProbabilities: retain, testProbabilities: test, forgetProbabilities: matrix(uniform(6, classes)) });
    expect(nonMembers.memberFraction).toBe(0);
    const half = miaEntropy({ retainProbabilities: retain, testProbabilities: test, forgetProbabilities: matrix([...oneHot([1, 2], classes), ...uniform(2, classes)]) });
    expect(half.memberFraction).toBe(0.5);
  });

  it('rejects mismatched classes and empty sets', () => {
    expectTypedError(() => miaEntropy({ retainProbabilities: retain, testProbabilities: matrix(uniform(3, 4)), forgetProbabilities: test }), 'RangeError', /same number of classes/);
    expectTypedError(() => miaEntropy({ retainProbabilities: retain, testProbabilities: test, forgetProbabilities: tensor(new Float32Array(0), [0, classes]) }), 'RangeError', /forgetProbabilities has 0 rows/);
  });
});

describe('mia.efficacy', () => {
  // Two classes, label 0: row [c, 1 - c] has true-class confidence c (float64 keeps c exact).
  const confident = (values: number[]) => ({
    data: Float64Array.from(values.flatMap((c) => [c, 1 - c])),
    shape: [values.length, 2] as [number, number],
  });
  const zeros = (rows: number) => new BigInt64Array(rows);
  const input = (members: number[], nonMembers: number[], forget: number[], forgetLabels = zeros(forget.length)) => ({
    retainProbabilities: confident(members),
    retainLabels: zeros(members.length),
    testProbabilities: confident(nonMembers),
    testLabels: zeros(nonMembers.length),
    forgetProbabilities: confident(forget),
    forgetLabels,
  });

  it('one member at confidence 1, one non-member at 0: one SMO step, the boundary at 0.5', async () => {
    // The two-row dual is solved exactly by its one pair update: alpha = 1 / (1 - e^-1) on both
    // rows (below C = 3), decision(x) = alpha (e^-(1-x)^2 - e^-x^2), positive above 0.5.
    const result = await miaEfficacy(input([1], [0], [0.75, 0.25, 0.9, 0.45]));
    expect(result).toMatchObject({
      efficacy: 0.5, predictedNonMembers: 2, forgetRows: 4, trainMembers: 1, trainNonMembers: 1,
      supportVectors: 2, iterations: 1, converged: true, c: 3, gamma: 1, seed: 0,
    });
    expect(result.metrics).toEqual({ 'mia.efficacy': 0.5 });
    // The confidence is the labelled class's: the same rows labelled 1 have confidences 0.25, 0.75, 0.1, 0.55.
    const relabelled = miaEfficacySync(input([1], [0], [0.75, 0.25, 0.9, 0.45], BigInt64Array.from([1n, 1n, 1n, 1n])));
    expect(relabelled.predictedNonMembers).toBe(2);
    const allLow = miaEfficacySync(input([1], [0], [0.75, 0.9], BigInt64Array.from([1n, 1n])));
    expect(allLow.efficacy).toBe(1);
  });

  it('a perfect model on D_r and a random one on T: perfect forget rows are members (0), uniform rows are not (1)', () => {
    const classes = 5;
    const labels = cycleLabels(200, classes);
    const base = {
      retainProbabilities: matrix(oneHot(labels, classes)),
      retainLabels: indices(labels),
      testProbabilities: matrix(uniform(150, classes)),
      testLabels: indices(cycleLabels(150, classes)),
    };
    const perfect = miaEfficacySync({ ...base, forgetProbabilities: matrix(oneHot([0, 1, 2], classes)), forgetLabels: indices([0, 1, 2]) });
    expect(perfect).toMatchObject({ efficacy: 0, trainMembers: 150, trainNonMembers: 150, forgetRows: 3 });
    const random = miaEfficacySync({ ...base, forgetProbabilities: matrix(uniform(4, classes)), forgetLabels: indices([0, 1, 2, 3]) });
    expect(random.efficacy).toBe(1);
  });

  it("decides like scikit-learn's SVC(C=3, gamma='auto') on model-like confidences (test/fixtures/svc-mia.json)", async () => {
    // scripts/make-svc-fixture.py: 400 members and 400 non-members mostly within 1e-2 of 1 (a
    // near-constant kernel: almost every row is a support vector), queries spread over [0, 1].
    const fixture = JSON.parse(fs.readFileSync(path.join(fixturesDir, 'svc-mia.json'), 'utf8'));
    const nonMembers = fixture.queryMember.filter((member: boolean) => !member).length;
    for (const seed of [0, 1]) {  // the seed orders the rows: the fit must not depend on it
      const result = await miaEfficacy({ ...input(fixture.members, fixture.nonMembers, fixture.queries), seed });
      expect([seed, result.predictedNonMembers]).toEqual([seed, nonMembers]);
      expect(Math.abs(result.supportVectors - fixture.supportVectors)).toBeLessThanOrEqual(4);
    }
  });

  it('reports progress while fitting and stops there when aborted', async () => {
    const random = seededRandom(21);
    const spread = (rows: number, scale: number) => Array.from({ length: rows }, () => Math.fround(1 + scale * Math.log(1 - random())));
    // 2 x 4000 model-like rows: thousands of SMO iterations (1680 for 2 x 1500), so the abort
    // sent on the first report (1024 iterations) arrives while the fit still runs.
    const big = input(spread(4000, 2e-3), spread(4000, 1e-2), spread(10, 5e-3));
    const steps: number[] = [];
    const controller = new AbortController();
    const run = miaEfficacy(big, {
      signal: controller.signal,
      onProgress: (p) => {
        expect(p.phase).toBe('svc fit');
        expect(p.total).toBe(0);
        steps.push(p.step);
        controller.abort();
      },
    });
    // Rejected (not resolved): the fit stopped at a checkpoint, the only abort check after it starts.
    await expect(run).rejects.toBeInstanceOf(AbortError);
    expect(steps[0]).toBe(1024);
  });

  it('rejects labels that do not fit the rows, mismatched classes and empty sets (the async form before starting)', () => {
    const good = input([1, 0.9], [0.2, 0.1], [0.5]);
    expectTypedError(() => miaEfficacySync({ ...good, retainLabels: zeros(3) }), 'RangeError', /retainLabels has 3 rows but 2/);
    expectTypedError(() => miaEfficacySync({ ...good, forgetLabels: BigInt64Array.from([2n]) }), 'RangeError', /forgetLabels must be class indices in \[0, 2\)/);
    expectTypedError(() => miaEfficacySync({ ...good, testProbabilities: matrix(uniform(2, 3)) }), 'RangeError', /same number of classes/);
    expectTypedError(() => miaEfficacySync({ ...good, forgetProbabilities: confident([]), forgetLabels: zeros(0) }), 'RangeError', /forgetProbabilities has 0 rows/);
    expectTypedError(() => miaEfficacySync({ ...good, testLabels: undefined } as never), 'TypeError', /testLabels/);
    expectTypedError(() => miaEfficacy({ ...good, seed: -1 }) as unknown, 'RangeError', /seed/);
  });
});

describe('distance to the retrained model', () => {
  it('two identical models: activation distance 0, JS 0', () => {
    const rows = randomRows(50, 10, seededRandom(3));
    const result = distanceToRetrained({ probabilities: matrix(rows), retrainedProbabilities: matrix(rows) });
    expect(result).toMatchObject({ activationDistance: 0, jsDivergence: 0, rows: 50 });
    expect(result.metrics).toEqual({ 'distance.activation': 0, 'distance.jsDivergence': 0 });
  });

  it('disjoint one-hot rows: sqrt 2 and ln 2; perfect vs random model: the hand values', () => {
    const disjoint = distanceToRetrained({ probabilities: matrix(oneHot([0, 1], 3)), retrainedProbabilities: matrix(oneHot([1, 2], 3)) });
    expect(disjoint.activationDistance).toBeCloseTo(Math.SQRT2, 12);
    expect(disjoint.jsDivergence).toBeCloseTo(Math.LN2, 12);
    const perfect = oneHot([0], 2)[0];
    const halves = distanceToRetrained({ probabilities: matrix([perfect]), retrainedProbabilities: matrix(uniform(1, 2)) });
    expect(halves.activationDistance).toBeCloseTo(Math.SQRT1_2, 7);
    expect(halves.jsDivergence).toBeCloseTo(js([1, 0], [0.5, 0.5]), 7);
  });

  it('matches a hand computation on random rows (float64 in, no rounding to float32)', () => {
    const random = seededRandom(4);
    const p = randomRows(20, 7, random);
    const q = randomRows(20, 7, random);
    const f64 = (rows: number[][]) => ({ data: Float64Array.from(rows.flat()), shape: [rows.length, rows[0].length] as [number, number] });
    const result = distanceToRetrained({ probabilities: f64(p), retrainedProbabilities: f64(q) });
    const l2 = p.map((row, i) => Math.sqrt(row.reduce((acc, v, c) => acc + (v - q[i][c]) ** 2, 0)));
    expect(result.activationDistance).toBeCloseTo(l2.reduce((a, b) => a + b, 0) / 20, 12);
    expect(result.jsDivergence).toBeCloseTo(p.reduce((acc, row, i) => acc + js(row, q[i]), 0) / 20, 12);
  });

  it('rejects mismatched shapes, 1-D probabilities and logits', () => {
    expectTypedError(() => distanceToRetrained({ probabilities: matrix(uniform(3, 2)), retrainedProbabilities: matrix(uniform(2, 2)) }), 'RangeError', /same shape/);
    expectTypedError(() => distanceToRetrained({ probabilities: Float32Array.from([0.5, 0.5]) as never, retrainedProbabilities: matrix(uniform(1, 2)) }), 'TypeError', /2-D/);
    expectTypedError(() => distanceToRetrained({ probabilities: matrix([[3, 1]]), retrainedProbabilities: matrix(uniform(1, 2)) }), 'RangeError', /sums to 4/);
    expectTypedError(() => distanceToRetrained({ probabilities: matrix([[NaN, 1]]), retrainedProbabilities: matrix(uniform(1, 2)) }), 'RangeError', /NaN/);
  });
});

describe('zrf', () => {
  it('two identical models: zrf 1; the legacy formula is 1 too where no probability is 0', () => {
    const rows = randomRows(30, 10, seededRandom(5));
    const result = zrf({ probabilities: matrix(rows), randomProbabilities: matrix(rows) });
    expect(result).toMatchObject({ zrf: 1, jsDivergence: 0, legacyBadTeacher: 1, rows: 30 });
    expect(result.metrics).toEqual({ zrf: 1, 'zrf.legacyBadTeacher': 1 });
  });

  it('perfect model against a random (uniform) model: 1 - JS(one-hot, uniform); legacy undefined (log 0)', () => {
    const classes = 10;
    const result = zrf({ probabilities: matrix(oneHot(cycleLabels(20, classes), classes)), randomProbabilities: matrix(uniform(20, classes)) });
    const expected = 1 - js(oneHot([0], classes)[0], uniform(1, classes)[0]);
    expect(result.zrf).toBeCloseTo(expected, 7);
    expect(result.legacyBadTeacher).toBeNull();
    expect(result.metrics['zrf.legacyBadTeacher']).toBeNull();
  });

  it('disjoint predictions: the minimum, 1 - ln 2', () => {
    expect(zrf({ probabilities: matrix(oneHot([0, 1], 2)), randomProbabilities: matrix(oneHot([1, 0], 2)) }).zrf).toBeCloseTo(1 - Math.LN2, 12);
  });

  it('legacy formula: the Bad-Teacher value, mean over rows x classes of KL(m || p) terms', () => {
    const p = [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]];
    const q = [[0.1, 0.1, 0.8], [0.25, 0.25, 0.5]];
    const result = zrf({ probabilities: matrix(p), randomProbabilities: matrix(q) });
    let sum = 0;
    p.forEach((row, r) =>
      row.forEach((pv, c) => {
        const m = (pv + q[r][c]) / 2;
        sum += 0.5 * m * (Math.log(m) - Math.log(pv)) + 0.5 * m * (Math.log(m) - Math.log(q[r][c]));
      }),
    );
    expect(result.legacyBadTeacher).toBeCloseTo(1 - sum / 6, 6);
    // PyTorch 1.13: 1 - (0.5 * F.kl_div(torch.log(p), m) + 0.5 * F.kl_div(torch.log(q), m)) on these float32 rows.
    expect(result.legacyBadTeacher).toBeCloseTo(0.9693039059638977, 7);
    expect(result.zrf).toBeCloseTo(1 - (js(p[0], q[0]) + js(p[1], q[1])) / 2, 6);
  });

  it('rejects mismatched shapes and too few classes', () => {
    expectTypedError(() => zrf({ probabilities: matrix(uniform(2, 3)), randomProbabilities: matrix(uniform(2, 4)) }), 'RangeError', /same shape/);
    expectTypedError(() => zrf({ probabilities: matrix([[1], [1]]), randomProbabilities: matrix([[1], [1]]) }), 'RangeError', /at least 2 classes/);
  });
});

describe('relearn time, gaps to retrain, RTE, records', () => {
  it('relearn time: the first step whose acc(D_f) reaches the target', () => {
    expect(relearnTime({ accuracies: [10, 20, 55, 80], target: 50 })).toEqual({ steps: 3, index: 2, target: 50, metrics: { 'relearn.steps': 3 } });
    expect(relearnTime({ accuracies: Float64Array.from([10, 50]), steps: [0, 25], target: 50 }).steps).toBe(25);
    expect(relearnTime({ accuracies: [97, 99], target: 90 }).steps).toBe(1);
    expect(relearnTime({ accuracies: [10, 20], target: 90 })).toMatchObject({ steps: null, index: null, metrics: { 'relearn.steps': null } });
    expect(relearnTime({ accuracies: [], target: 90 }).steps).toBeNull();
  });

  it('relearn time rejects bad series', () => {
    expectTypedError(() => relearnTime({ accuracies: [1, 2], steps: [1], target: 1 }), 'RangeError', /steps has 1/);
    expectTypedError(() => relearnTime({ accuracies: [1, 2], steps: [2, 2], target: 1 }), 'RangeError', /increasing/);
    expectTypedError(() => relearnTime({ accuracies: [1, NaN], target: 1 }), 'RangeError', /accuracies\[1\]/);
    expectTypedError(() => relearnTime({ accuracies: [1], target: '1' as never }), 'TypeError', /target/);
  });

  it('gaps: method minus retrain for every shared metric, null where either is null', () => {
    const record = metricsRecord(
      accuracy({ predictions: matrix(oneHot([0, 1], 2)), labels: indices([0, 1]), set: 'test' }),
      miaLoss({ forgetLosses: Float64Array.from(new Array(5).fill(1)), testLosses: Float64Array.from(new Array(5).fill(1)) }),
      { metrics: { zrf: null } },
    );
    expect(record).toEqual({ 'acc.test': 100, 'mia.loss': 0.5, zrf: null });
    const gaps = gapsToRetrain(record, { 'acc.test': 98.5, 'mia.loss': 0.75, zrf: 0.9, 'mia.camu': 0.5 });
    expect(gaps).toEqual({ 'gap.acc.test': 1.5, 'gap.mia.loss': -0.25, 'gap.zrf': null });
    expectTypedError(() => metricsRecord({ metrics: { zrf: 1 } }, { metrics: { zrf: 2 } }), 'RangeError', /twice/);
    expectTypedError(() => gapsToRetrain({ a: '1' as never }, {}), 'TypeError');
  });

  it('RTE = retrain time / method time', () => {
    expect(rte({ retrainSeconds: 300, methodSeconds: 12 })).toEqual({ rte: 25, metrics: { rte: 25 } });
    expectTypedError(() => rte({ retrainSeconds: 300, methodSeconds: 0 }), 'RangeError');
    expectTypedError(() => rte({ retrainSeconds: '300' as never, methodSeconds: 1 }), 'TypeError');
  });
});
