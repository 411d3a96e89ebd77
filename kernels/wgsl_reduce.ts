// WGSL shared by the row-wise kernels (LayerNorm in patch_embed and layernorm_modulate): a sum over
// one workgroup of `wg` invocations (a power of two) through workgroup memory, a tree of barriers.

export function workgroupSumWgsl(wg: number): string {
  return /* wgsl */ `
var<workgroup> red: array<f32, ${wg}>;

fn workgroupSum(x: f32, lid: u32) -> f32 {
  red[lid] = x;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}
`;
}
