/** docker's sizes, shared with the Engine API's progress messages: they live in internal/. */
export { bytesSize, humanSize, humanSize4, humanSizeWithPrecision, parseHumanSize, parseRAMInBytes } from '../../internal/human-size.ts';
