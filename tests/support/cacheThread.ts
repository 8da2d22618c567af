/** The cache thread on a test's cache folder, as the core opens it (for tests that drive the sync engine alone). */
import { fileURLToPath } from 'node:url';
import { openCacheConnection, defaultCacheWorkerScript, type CacheConnection } from '../../main/cache/cacheThread';
import { defaultCheckpointWorkerScript } from '../../main/cache/checkpointer';
import { testCacheKey } from './cacheKey';

export function testCacheThread(dataDir: string): CacheConnection {
  return openCacheConnection({
    script: defaultCacheWorkerScript(),
    dataDir,
    cacheKey: testCacheKey,
    checkpointWorker: fileURLToPath(defaultCheckpointWorkerScript()),
    onNotice: () => {},
  });
}
