/**
 * StartSet's hierarchical tree grown elsewhere (selectModel grows it in a worker: treeRequest,
 * growTree, useTree, with the k-means and random-row partitions drawn here meanwhile) must give
 * exactly the partitions the set computes on demand, whatever K asks for first.
 */
import { describe, expect, it } from 'vitest';
import { StartSet } from '../src/starts.js';
import { toMatrix } from '../src/input.js';
import { blobs } from './helpers.js';

const { X } = blobs(3, 600, 3, 4, 3);
const data = toMatrix(X);
// Zero weights: the tree is grown on the positive-weight rows and spread back over all of them.
const weights = Float64Array.from({ length: data.rows }, (_, i) => (i % 7 === 0 ? 0 : 1 + (i % 3)));

describe('StartSet: a tree grown from treeRequest', () => {
  for (const w of [null, weights]) {
    it(`gives the on-demand partitions for K = 1..11, more than the tree's nine levels (${w ? 'weighted' : 'unweighted'})`, () => {
      const Ks = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
      const onDemand = new StartSet(data, w, 7);
      const expected = onDemand.table(Ks, 2);

      const grown = new StartSet(data, w, 7);
      const request = grown.treeRequest(Ks)!;
      grown.draw(Ks, 2);
      // As a worker sees it: the request and the partitions are posted (structured clones).
      grown.useTree(request, structuredClone(StartSet.growTree(structuredClone(request))));
      expect(grown.table(Ks, 2)).toEqual(expected);
    });
  }

  it('is not asked for when every K is 1', () => {
    expect(new StartSet(data, null, 7).treeRequest([1])).toBeNull();
  });
});
