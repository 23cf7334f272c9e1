import { Command } from 'commander';
const program = new Command('strata');
program.version('0.1.0');
program.command('images').action(() => { console.log('REPOSITORY   TAG'); });
await program.parseAsync(process.argv);
