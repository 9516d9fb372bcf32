// notepack.io ships no types; the tests use it as the reference writer/reader.
declare module "notepack.io" {
  export function encode(value: unknown): Uint8Array;
  export function decode(bytes: Uint8Array): unknown;
  const notepack: { encode: typeof encode; decode: typeof decode };
  export default notepack;
}
