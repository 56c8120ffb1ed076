"""The pieces :func:`geodata.svgmap.draw_map` assembles, one module per job.

* :mod:`geodata.svg.style` — font stack, colour palette and the choropleth ramp.
* :mod:`geodata.svg.frame` — map inputs (points, flows) and the lon/lat → pixel frame.
* :mod:`geodata.svg.layers` — region shapes and labels, flow curves, point markers.
* :mod:`geodata.svg.decorations` — legend, scale bar, north arrow, approximate-boundary note.

Callers import from :mod:`geodata.svgmap`, which re-exports the public names.
"""
