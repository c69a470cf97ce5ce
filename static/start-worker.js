// Starts one of Tradeoff's training workers: `start-worker.js?worker` (Burn's CPU backend) or
// `start-worker.js?webgpu_worker` (WebGPU as well). A module that fails to download or to start
// is thrown again outside its promise, so the page gets an error event and can say so (or train
// on the CPU) instead of waiting for ever: a rejected promise in a worker reaches no one.
const name = self.location.search === '?webgpu_worker' ? 'webgpu_worker' : 'worker';
importScripts(`./${name}.js`);
wasm_bindgen(`./${name}_bg.wasm`).catch((error) => setTimeout(() => { throw error; }));
