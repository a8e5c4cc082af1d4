// The bench receiver in a process of its own (see receiver-process.ts), so that what it costs
// counts neither against the sender measured nor against the load generator.
import { startReceiver } from './receiver.ts';

const receiver = await startReceiver();
process.on('message', (message: { id: number; ask: 'count' | 'latencies' | 'clear' | 'close'; path?: string }) => {
  const answer = (value: unknown) => process.send!({ id: message.id, value });
  switch (message.ask) {
    case 'count':
      return answer(receiver.count(message.path!));
    case 'latencies':
      return answer(receiver.latencies);
    case 'clear':
      receiver.latencies.length = 0;
      return answer(null);
    case 'close':
      return void receiver.close().then(() => {
        answer(null);
        process.disconnect();
      });
  }
});
// The bench gone, however it ended (SIGKILL included, which closes the IPC channel too): so is this.
process.on('disconnect', () => process.exit(0));
process.send!({ id: 0, value: receiver.url });
