"""The export's sections, one module per part of the loop; ``perfcycle.privacy.selectors``
puts them together."""
