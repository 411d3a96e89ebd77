// `npm run bench:kernels`: the CPU kernels' Linear and diffusion head (see cpu_head.ts).

import { it } from 'vitest';
import { runCpuHeadBench } from './cpu_head';

it('cpu diffusion head', () => {
  console.log(runCpuHeadBench().join('\n'));
}, 300_000);
