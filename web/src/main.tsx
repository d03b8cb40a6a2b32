import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/app.js';
import { detectOrigin } from './lib/where.js';
import './styles.css';

const root = document.getElementById('root');
if (root === null) throw new Error('no #root element');

void detectOrigin().then((origin) => {
  document.documentElement.dataset.origin = origin.kind;
  createRoot(root).render(
    <StrictMode>
      <App origin={origin} />
    </StrictMode>,
  );
});
