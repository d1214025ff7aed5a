// The report page's hotspot map: Leaflet (vendored by django-leaflet) over
// an offline layer of country borders; tiles only when the desk has a server.
(function () {
  "use strict";
  var holder = document.getElementById("hotspot-map");
  var source = document.getElementById("map-data");
  if (!holder || !source || typeof L === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var area = data.area; // [west, south, east, north]

  var map = L.map(holder, { zoomSnap: 0.25, scrollWheelZoom: false, attributionControl: true });
  // The view comes first: Leaflet cannot clip vector layers without one.
  var bounds = L.latLngBounds([[area[1], area[0]], [area[3], area[2]]]);
  data.hotspots.forEach(function (h) { bounds.extend([h.lat, h.lng]); });
  map.fitBounds(bounds, { padding: [16, 16] });
  if (data.tiles) {
    L.tileLayer(data.tiles, { maxZoom: 12 }).addTo(map);
  }
  L.geoJSON(data.borders, {
    interactive: false,
    style: function (feature) {
      return feature.properties.focus
        ? { color: "#1f3a5f", weight: 2, fillColor: "#ffffff", fillOpacity: 1 }
        : { color: "#8e99a8", weight: 1, fillColor: "#ecebe6", fillOpacity: 1 };
    }
  }).addTo(map);
  map.attributionControl.addAttribution("Borders: Natural Earth");

  var radius = { 1: 7, 2: 10, 3: 13 };
  data.hotspots.forEach(function (h) {
    var marker = L.circleMarker([h.lat, h.lng], {
      radius: radius[h.intensity] || 8, color: "#ffffff", weight: 2,
      fillColor: h.colour, fillOpacity: 0.95
    }).addTo(map);
    // Text nodes, never HTML strings: labels come from drafts.
    var label = document.createElement("span");
    label.textContent = h.number + ". " + h.label;
    marker.bindTooltip(label, { permanent: true, direction: "right", offset: [10, 0], className: "map-label" });
    var popup = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = h.number + ". " + h.label;
    var detail = document.createElement("p");
    detail.textContent = h.detail;
    var meta = document.createElement("small");
    meta.textContent = h.intensity_name + " intensity · " + h.coordinates;
    popup.appendChild(title); popup.appendChild(detail); popup.appendChild(meta);
    marker.bindPopup(popup);
  });
})();
