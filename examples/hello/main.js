// Greets `name` `count` times. On a platform the input-schema defaults
// (.actor/input_schema.json) are merged into the input before the run
// starts; the fallbacks below only matter for a bare local `node main.js`
// (the SDK applies schema defaults locally only to a non-empty input).
import { Actor } from 'apify';

await Actor.init();

const { name = 'World', count = 3, details = false } = (await Actor.getInput()) ?? {};

const greeting = `Hello, ${name}!`;
const items = Array.from({ length: count }, (_, i) => ({ greeting, n: i + 1 }));
if (details) {
    // Richer items, for trying the dataset export options: an array to
    // unwind, an object to flatten, a hidden field, a failed page, an empty item.
    items.forEach((item, i) => {
        item.letters = [...name].slice(0, i + 1);
        item.meta = { index: i, even: i % 2 === 0, note: i === 0 ? '' : null };
        item['#debug'] = `item ${i}`;
        if (i === 1) item.errorInfo = 'simulated failure';
    });
    items.push({});
}
await Actor.pushData(items);
console.log(`Pushed ${count} greetings for ${name}.`);

await Actor.setValue('OUTPUT', { greeting, name, count });

await Actor.exit();
