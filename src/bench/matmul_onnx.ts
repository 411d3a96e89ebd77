// A one-node ONNX model, C = A · B with B a constant initializer, written as protobuf bytes here (no
// Python step, any size): what `npm run bench` runs through onnxruntime-web's WASM provider to
// measure that backend's matmul peak. B is an initializer, like the weights of the engine's graphs,
// so ORT's CPU provider may pre-pack it exactly as it does theirs.
//
// Only the few ONNX fields this needs (onnx.proto3): ModelProto{ir_version=1, producer_name=2,
// graph=7, opset_import=8}, GraphProto{node=1, name=2, initializer=5, input=11, output=12},
// NodeProto{input=1, output=2, name=3, op_type=4}, TensorProto{dims=1, data_type=2, name=8,
// raw_data=9}, ValueInfoProto{name=1, type=2}, TypeProto{tensor_type=1}, TypeProto.Tensor{elem_type=1,
// shape=2}, TensorShapeProto{dim=1}, Dimension{dim_value=1}, OperatorSetIdProto{domain=1, version=2}.

const FLOAT = 1; // TensorProto.DataType.FLOAT

function varint(n: number): number[] {
  const out: number[] = [];
  // lengths, dims and versions here are small non-negative integers (< 2^53)
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

type Bytes = number[] | Uint8Array;

/** A length-delimited field (wire type 2): strings, bytes, embedded messages. */
function field(num: number, body: Bytes | string): Uint8Array {
  const b = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  return concat([varint((num << 3) | 2), varint(b.length), b]);
}

/** A varint field (wire type 0). */
function int(num: number, v: number): number[] {
  return [...varint(num << 3), ...varint(v)];
}

function concat(parts: Bytes[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function valueInfo(name: string, dims: number[]): Uint8Array {
  const shape = concat(dims.map((d) => field(1, int(1, d))));
  const tensorType = concat([int(1, FLOAT), field(2, shape)]);
  return concat([field(1, name), field(2, field(1, tensorType))]);
}

/** ONNX bytes of C[m, n] = A[m, k] · B[k, n], B the given constant (k·n values, row-major). */
export function matmulModel(m: number, k: number, n: number, b: Float32Array): Uint8Array {
  if (b.length !== k * n) throw new Error(`B must hold k·n = ${k * n} values, got ${b.length}`);
  const node = concat([field(1, 'A'), field(1, 'B'), field(2, 'C'), field(3, 'matmul'), field(4, 'MatMul')]);
  const init = concat([
    field(1, concat([...[k, n].map((d) => varint(d))])), // packed repeated int64 dims
    int(2, FLOAT),
    field(8, 'B'),
    field(9, new Uint8Array(b.buffer, b.byteOffset, b.byteLength)), // little-endian, as on every browser
  ]);
  const graph = concat([
    field(1, node), field(2, 'matmul_peak'), field(5, init),
    field(11, valueInfo('A', [m, k])), field(12, valueInfo('C', [m, n])),
  ]);
  const opset = concat([field(1, ''), int(2, 17)]);
  return concat([int(1, 8), field(2, 'harmon-bench'), field(7, graph), field(8, opset)]);
}
