-- wrk script for the small-request bench: the same POST the C clients send.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"what did we decide about the retry budget for the controller client last week, and which pull request changed the backoff cap for streaming completions in the bridge","limit":10}'
