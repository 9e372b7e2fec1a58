/** Where the lab keeps its downloads, builds and hosts: under the gmembench cache dir, shared by all checkouts. */
import { resolve } from 'node:path';
import { cacheDir } from '../util/paths.js';

export const labCacheDir = (): string => resolve(cacheDir(), 'lab');
export const labHostDir = (name: string): string => resolve(labCacheDir(), 'hosts', name);
