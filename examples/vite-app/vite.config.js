// The package's plugin copies onnxruntime-web's runtime, the embedded default model and the widget
// script to harmon/ in the build (and serves them in `vite` dev); `isolation` sends COOP/COEP from
// dev and preview, so the CPU backend runs on several threads. A plain object rather than Vite's
// defineConfig: nothing here needs Vite itself at run time.
import { harmon } from 'harmon-webgpu/vite';

export default {
  plugins: [harmon({ isolation: true })],
};
