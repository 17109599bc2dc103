"""Simplified Chinese input formats with ISO dates first.

A form writes a date into its field with the first input format. Django's Chinese locale
starts with ``2016/09/05``, which a browser's ``<input type="date">`` (and
``datetime-local``) refuses, so every date field showed empty in Chinese. ISO first; the
others are still read.
"""

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # '2016-09-05'
    "%Y/%m/%d",  # '2016/09/05'
    "%Y年%m月%d日",  # '2016年9月5日'
]

DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M",  # '2016-09-05 20:45'
    "%Y-%m-%dT%H:%M",  # '2016-09-05T20:45', as datetime-local sends it
    "%Y/%m/%d %H:%M",  # '2016/09/05 20:45'
    "%Y年%m月%d日 %H:%M",  # '2016年9月5日 20:45'
    "%Y-%m-%d %H:%M:%S",  # '2016-09-05 20:45:29'
    "%Y/%m/%d %H:%M:%S",  # '2016/09/05 20:45:29'
    "%Y年%m月%d日 %H:%M:%S",  # '2016年9月5日 20:45:29'
    "%Y-%m-%d %H:%M:%S.%f",  # '2016-09-05 20:45:29.000200'
    "%Y/%m/%d %H:%M:%S.%f",  # '2016/09/05 20:45:29.000200'
]
