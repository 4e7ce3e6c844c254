// What both client scripts share: the bearer token from A2A_TOKEN, and a report of named steps.

// fetch with 'Authorization: Bearer $A2A_TOKEN' on every request (plain fetch without a token), built with the
// SDK's own authenticating wrapper.
export const bearerFetch = (createAuthenticatingFetchWithRetry) => {
  const token = process.env.A2A_TOKEN;
  return token
    ? createAuthenticatingFetchWithRetry(fetch, {
        headers: async () => ({ Authorization: `Bearer ${token}` }),
        shouldRetryWithHeaders: async () => undefined,
      })
    : fetch;
};

// report[name] = what run() returned, or {error: message}; print() writes it as one JSON line.
export const steps = () => {
  const report = {};
  const step = async (name, run) => {
    try {
      report[name] = await run();
    } catch (error) {
      report[name] = { error: String(error?.message ?? error) };
    }
  };
  return { report, step, print: () => console.log(JSON.stringify(report)) };
};
