/**
 * The task group through the addon (lib/tasks.ts over native/distributed/task_group.h): two ranks
 * of this process take every item of a queue once, see each other's results, and a rank that
 * reports a failure fails the other's wait with ERR_CAMU_DISTRIBUTED and its message.
 */
import { info } from '../../lib';
import { freePort } from '../../lib/cli/launch';
import { takeEach, TaskGroup, withTaskGroup } from '../../lib/tasks';

const maybe = info().distributed.available ? test : test.skip;

jest.setTimeout(60_000);

maybe('two ranks take every item once and read each other\'s results', async () => {
  const masterPort = await freePort();
  const ranks = [0, 1].map((rank) =>
    withTaskGroup({ masterPort, worldSize: 2, rank, timeoutSeconds: 20 }, 'test-queue', undefined, async (group) => {
      expect([group.rank, group.worldSize]).toEqual([rank, 2]);
      const mine = await takeEach(group, 'items', 12, 2, async (index) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        group.put(`item/${index}`, Buffer.from(`${index * index} from ${rank}`));
      });
      const values = await group.get(Array.from({ length: 12 }, (_, i) => `item/${i}`));
      return { mine, values: values.map((value) => value.toString('utf8')) };
    }),
  );
  const [zero, one] = await Promise.all(ranks);
  expect([...zero.mine, ...one.mine].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  expect(zero.values).toEqual(one.values);
  zero.values.forEach((value, i) => expect(value).toMatch(new RegExp(`^${i * i} from [01]$`)));
});

maybe('a rank that fails makes the other\'s wait reject with ERR_CAMU_DISTRIBUTED and its message', async () => {
  const masterPort = await freePort();
  const failing = withTaskGroup({ masterPort, worldSize: 2, rank: 1, timeoutSeconds: 30 }, 'test-fail', undefined, async () => {
    throw new Error('the data could not be read');
  });
  const waiting = withTaskGroup({ masterPort, worldSize: 2, rank: 0, timeoutSeconds: 30 }, 'test-fail', undefined, (group) => group.get(['never']));
  await expect(failing).rejects.toThrow('the data could not be read');
  const started = Date.now();
  await expect(waiting).rejects.toMatchObject({ code: 'ERR_CAMU_DISTRIBUTED', message: expect.stringContaining('rank 1 failed: Error: the data could not be read') });
  expect(Date.now() - started).toBeLessThan(10_000);
});

maybe('an aborted wait rejects with an AbortError; a closed group refuses further calls', async () => {
  const group = await TaskGroup.connect({ masterPort: await freePort(), worldSize: 1, rank: 0, timeoutSeconds: 20 }, 'test-abort');
  const controller = new AbortController();
  const waiting = group.get(['never'], controller.signal);
  setTimeout(() => controller.abort(), 100);
  await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
  expect(group.take('q')).toBe(0);
  expect(group.take('q')).toBe(1);
  expect(group.problem()).toBeUndefined();
  expect(() => group.put('key', 5 as never)).toThrow(/value must be a string or a Uint8Array, got a number/);
  await group.close();
  expect(() => group.take('q')).toThrow(expect.objectContaining({ code: 'ERR_CAMU_STATE' }));
});
