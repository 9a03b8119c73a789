import type SharpModule from 'sharp';

type Sharp = typeof SharpModule;
let loading: Promise<Sharp> | undefined;

/**
 * sharp (libvips), loaded on first use: an upload or a rendition. Loading it costs ~0.1 s of CPU at every start
 * (its native binding and libvips), and most processes (readers, CLIs, test files) never touch an image. If
 * it cannot load (a broken install), uploads and renditions answer 500 with the error logged; nothing else fails.
 */
export const loadSharp = (): Promise<Sharp> => (loading ??= import('sharp').then((m) => m.default));
