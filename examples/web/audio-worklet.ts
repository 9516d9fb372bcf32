/**
 * AudioWorklet processor: forwards each render quantum of the microphone input (Float32,
 * one array per channel) to the page, which converts it to Int16 and streams it.
 * Runs in the AudioWorkletGlobalScope, whose globals the DOM typings do not declare.
 */
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, ctor: new () => AudioWorkletProcessor): void;

class PcmCapture extends AudioWorkletProcessor {
  process(inputs: Float32Array[][]): boolean {
    const input = inputs[0];
    if (input && input.length > 0) {
      const copies = input.map((channel) => channel.slice());
      this.port.postMessage(
        copies,
        copies.map((c) => c.buffer),
      );
    }
    return true;
  }
}

registerProcessor("pcm-capture", PcmCapture);
