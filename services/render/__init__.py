"""Offline rendering of printable and viewable artefacts: QR codes, A4 posters, charts.

Import the submodules directly (`services.render.qr`, `.poster`, `.chart`); this
package imports none of them, so using one never pays for another's dependencies.
All functions are synchronous and CPU-bound: call them from async handlers through
`asyncio.to_thread`. Every user-facing string is passed in already translated.
"""
