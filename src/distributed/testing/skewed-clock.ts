/**
 * Preloaded (`--import`) into a test's agent process to make its wall clock wrong by
 * TEST_CLOCK_SKEW_MS, as a host without chrony would be; SIGUSR2 sets it right again,
 * so a test sees the hub's clock alarm raised and then cleared by the same process.
 */
const realNow = Date.now.bind(Date);
let skewMs = Number(process.env.TEST_CLOCK_SKEW_MS ?? 0);
Date.now = () => realNow() + skewMs;
process.on('SIGUSR2', () => {
  skewMs = 0;
});
