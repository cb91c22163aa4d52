// The bounded close of nodes/lib/frame.ts, under the name the config node imports it by.
export { bounded, CLOSE_BOUND_MS } from './frame';
