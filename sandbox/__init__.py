"""The sandbox: the real bot against an in-process fake Telegram, with a throwaway township
and a local web page that plays every role (`minsheng sandbox`, `make sandbox`).

* `township` — the township as data (township.json) and the personas one can play;
* `seed` — plants it through the services, one function per order;
* `clock` — the bot's movable clock;
* `runner` — `Sandbox`: the fake Telegram, the bot, the seed and the page, started and stopped together;
* `web` — the page's server (aiohttp, loopback only) and its JSON API;
* `texts` — the page's sentences, translated through the catalogues like the bot's.
"""
